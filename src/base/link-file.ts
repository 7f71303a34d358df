/**
 * Placing a file that another file already holds, as DVC's link types do: a reflink where the
 * filesystem can (a copy-on-write clone: no extra space, safe to edit), else a hard link (no
 * extra space; the same file under two names, so editing one edits both), else a copy. The
 * cache's output files (runner/cache/materialize.ts) and the images step's folder are placed so.
 */
import { constants, statSync } from 'node:fs';
import { chmod, copyFile, link, rm } from 'node:fs/promises';
import path from 'node:path';

export type LinkType = 'reflink' | 'hardlink' | 'copy';

const ORDER: LinkType[] = ['reflink', 'hardlink', 'copy'];

/** The link type that worked last, per (source device, destination device) (tried in order once). */
const working = new Map<string, LinkType>();

function devices(src: string, destDir: string): string {
  return `${statSync(src).dev}:${statSync(destDir).dev}`;
}

/** Errors that say "not this way here" (another filesystem, no reflinks, no links): try the next way. */
const UNSUPPORTED = new Set(['ENOTSUP', 'EXDEV', 'EPERM', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EINVAL']);

/** The way that worked last from `src`'s device to `destDir`'s (undefined before the first one). */
export function knownLinkType(src: string, destDir: string): LinkType | undefined {
  return working.get(devices(src, destDir));
}

/**
 * Makes `dest` (which must not exist: a temp name the caller renames into place) hold `src`'s
 * bytes, by the first of reflink, hard link, copy that works on `dest`'s device. A copy gets
 * mode `copyMode` (it is the user's to edit).
 */
export async function linkOrCopy(src: string, dest: string, copyMode = 0o644): Promise<LinkType> {
  const dev = devices(src, path.dirname(dest));
  const known = working.get(dev);
  for (const type of known ? [known, ...ORDER.filter((t) => t !== known)] : ORDER) {
    try {
      if (type === 'reflink') await copyFile(src, dest, constants.COPYFILE_FICLONE_FORCE);
      else if (type === 'hardlink') await link(src, dest);
      else {
        await copyFile(src, dest);
        await chmod(dest, copyMode);
      }
      working.set(dev, type);
      return type;
    } catch (err) {
      await rm(dest, { force: true });
      if (type !== 'copy' && UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) continue;
      throw err;
    }
  }
  throw new Error('unreachable: copy either works or throws');
}
