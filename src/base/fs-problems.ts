/**
 * Plain words for the filesystem errors a user causes by choosing a path (a file where a
 * folder should be, no permission, a full disk), so they are reported as their mistake to fix
 * rather than as a crash. Other error codes are bugs or bad luck and are not covered.
 */
const PATH_PROBLEMS: Record<string, string> = {
  EEXIST: 'a file stands where a folder of the path should be',
  ENOTDIR: 'a file stands where a folder of the path should be',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the filesystem is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
};

/** `reason (CODE)` for a user-caused path error, else undefined. */
export function pathProblem(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = code ? PATH_PROBLEMS[code] : undefined;
  return why ? `${why} (${code})` : undefined;
}

/**
 * Marks a filesystem error met while writing `file` with that path (a FileHandle's errors carry
 * none) and the size of what was being written (a full disk then says how much was needed),
 * unless a deeper writer marked it first. Returns `err`.
 */
export function noteWrite(err: unknown, file: string, bytes: number): unknown {
  const e = err as { sizeNeeded?: number; path?: string } | undefined;
  if (!e || typeof e !== 'object' || !pathProblem(err)) return err;
  e.path ??= file;
  e.sizeNeeded ??= bytes;
  return err;
}

/** The size `noteWrite` put on `err`, if any. */
export function sizeNeeded(err: unknown): number | undefined {
  const n = (err as { sizeNeeded?: unknown } | undefined)?.sizeNeeded;
  return typeof n === 'number' ? n : undefined;
}
