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
