/**
 * Output files the user asked for (an output's `pathOption`, e.g. `out: out/mini.json`)
 * are copies of store objects. They are written atomically (copy beside the destination,
 * then rename), on a run and on a cache hit, and rewritten when missing or modified. A
 * copy (a reflink where the filesystem can) rather than a hard link: the store's objects
 * must never change, and a user may well edit the file they were given.
 */
import { constants, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
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
  try {
    await copyFile(store.objectPath(out.digest), tmp, constants.COPYFILE_FICLONE);
    await chmod(tmp, 0o644);
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  statCache.record(dest, statSync(dest), out.digest);
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
