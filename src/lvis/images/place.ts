/**
 * Placing images in the images folder from where they are (images_root, or the download
 * store): by reflink, else hard link, else copy (base/link-file.ts), under a temp name renamed
 * into place, a few at a time.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { knownLinkType, linkOrCopy, type LinkType } from '../../base/link-file.js';
import type { ProgressReporter } from '../../base/progress.js';

export interface Placement {
  src: string;
  dest: string;
}

/**
 * One image: `dest` holds `src`'s bytes when this resolves (it is replaced if it was there). A
 * hard link, once known to work in the folder, is made at its final name at once: the name
 * appears with the whole file (one system call instead of three: 4× faster, BENCHMARKS.md);
 * a reflink or a copy is made under a temp name and renamed.
 */
export async function placeImage(p: Placement, hardlinks = false): Promise<LinkType> {
  if (hardlinks) {
    try {
      await link(p.src, p.dest);
      return 'hardlink';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // (then through a temp name, replacing it)
    }
  }
  const tmp = path.join(path.dirname(p.dest), `.${path.basename(p.dest)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const how = await linkOrCopy(p.src, tmp);
    await rename(tmp, p.dest);
    return how;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Places every one (splits' folders made first); counts how, by link type. */
export async function placeImages(list: Placement[], progress: ProgressReporter | undefined, signal: AbortSignal): Promise<Map<LinkType, number>> {
  const how = new Map<LinkType, number>();
  if (list.length === 0) return how;
  for (const dir of new Set(list.map((p) => path.dirname(p.dest)))) await mkdir(dir, { recursive: true });
  const limit = pLimit(16);
  let done = 0;
  const hardlinks = new Map<string, boolean>(); // per (source folder, split folder): whether hard links work between them
  progress?.start('placing images', list.length, 'images');
  await Promise.all(
    list.map((p) =>
      limit(async () => {
        signal.throwIfAborted();
        const pair = `${path.dirname(p.src)}\0${path.dirname(p.dest)}`;
        if (!hardlinks.has(pair)) hardlinks.set(pair, knownLinkType(p.src, path.dirname(p.dest)) === 'hardlink');
        const t = await placeImage(p, hardlinks.get(pair));
        if (t === 'hardlink') hardlinks.set(pair, true);
        how.set(t, (how.get(t) ?? 0) + 1);
        progress?.update(++done);
      }),
    ),
  );
  progress?.done();
  return how;
}

/** `1,234 by hard link, 5 by copy` */
export function describePlacement(how: Map<LinkType, number>): string {
  const words: Record<LinkType, string> = { reflink: 'reflink', hardlink: 'hard link', copy: 'copy' };
  return [...how].map(([t, n]) => `${n.toLocaleString('en-US')} by ${words[t]}`).join(', ');
}
