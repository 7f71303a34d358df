/**
 * Output files the user asked for (an output's `pathOption`, e.g. `out: out/mini.json`) are
 * placed from the store's objects by reflink, else hard link (a sweep's variants and the cache
 * share one copy of each distinct file), else copy (base/link-file.ts). They are
 * written atomically (made beside the destination, then renamed over it), on a run and on a
 * cache hit, and replaced, never modified, when missing or changed.
 *
 * A hard-linked output is the object itself, so it stays read-only (0444): a user who wants to
 * edit it copies it first (editors that save by writing a new file and renaming are fine). Should
 * it be written in place anyway (root ignores the mode), the cache is not fooled: the object's
 * ctime moves, the next use hashes it again, finds the damage, quarantines it and recomputes it.
 */
import { statSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { linkOrCopy, type LinkType } from '../../base/link-file.js';
import { fileDigest, type StatCache } from './file-digests.js';
import type { CacheStore } from './store.js';
import { type StoredOutput } from './records.js';

export type MaterializedState = 'ok' | 'missing' | 'modified';

/** Whether `dest` holds the stored output (stat cache first, content hash if needed). */
export async function materializedState(statCache: StatCache, out: StoredOutput, dest: string): Promise<MaterializedState> {
  let size: number;
  try {
    const st = statSync(dest);
    if (!st.isFile()) return 'modified';
    size = st.size;
  } catch {
    return 'missing';
  }
  if (size !== out.size) return 'modified';
  try {
    const { digest } = await fileDigest(dest, statCache);
    return digest === out.digest ? 'ok' : 'modified';
  } catch {
    return 'modified'; // unreadable: rewrite it (and if that fails too, say why, at the option)
  }
}

/** Makes `dest` a copy of the stored output. Returns what it found there before. */
export async function materialize(store: CacheStore, statCache: StatCache, out: StoredOutput, dest: string): Promise<MaterializedState> {
  const before = await materializedState(statCache, out, dest);
  if (before === 'ok') return before;
  // Never restore what the cache cannot vouch for (a stat while the object is unchanged).
  if (!(await store.verifyObject(out.digest, out.size))) {
    throw new Error(`the cached ${path.basename(dest)} (object ${out.digest.slice(0, 12)}…) is missing or damaged; run again to recompute it`);
  }
  await mkdir(path.dirname(dest), { recursive: true });
  await removeStaleTemps(dest);
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(4).toString('hex')}.tmp`);
  let linked: LinkType;
  try {
    linked = await linkOrCopy(store.objectPath(out.digest), tmp);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const st = statSync(dest);
  statCache.record(dest, st, out.digest);
  // A hard link moves the object's ctime (its link count changed): without this, the next
  // use of the object would read and hash it again (0.1 s per 200 MB) for nothing. Its
  // content was verified just above and linking does not change it.
  if (linked === 'hardlink') statCache.record(store.objectPath(out.digest), st, out.digest);
  return before;
}

/** Temp copies of `dest` that a killed run left beside it (the lock says no other run is writing). */
async function removeStaleTemps(dest: string): Promise<void> {
  const base = path.basename(dest);
  const names = await readdir(path.dirname(dest)).catch(() => [] as string[]);
  for (const n of names) {
    // Exactly `.<name>.<8 hex>.tmp`, as written below: not another output's temp file.
    if (n.length === base.length + 14 && n.startsWith(`.${base}.`) && /^[0-9a-f]{8}\.tmp$/.test(n.slice(base.length + 2))) await rm(path.join(path.dirname(dest), n), { force: true });
  }
}
