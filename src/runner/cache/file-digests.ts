/**
 * Content digests of external files, with a stat cache so that an unchanged file (same
 * device, inode, size, mtime and ctime) is not re-read: a 1 GB input costs one stat per
 * run instead of seconds of hashing.
 *
 * "Racy" entries are not trusted: on a filesystem with coarse (whole-second) timestamps, a
 * file changed less than RACY_MS before it was hashed could change again without its
 * mtime moving, so it is hashed again next time, as git does for racily-clean index
 * entries. Filesystems with sub-second timestamps (ext4, xfs, btrfs, tmpfs, apfs) do not
 * have that problem.
 */
import { randomBytes } from 'node:crypto';
import { noteWrite } from '../../base/fs-problems.js';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from './hash.js';
import { openSealedJson, quarantineSync, sealJson, type ProblemSink } from './integrity.js';

const RACY_MS = 2000;

interface StatEntry {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  digest: string;
  hashedAt: number;
}

export class StatCache {
  private entries: Record<string, StatEntry> = {};
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();
  /** Files being hashed now: pipelines run concurrently (sweep variants) hash a file once. */
  readonly hashing = new Map<string, Promise<FileDigest>>();
  /**
   * Loads `file`. It decides which inputs count as unchanged, so it is sealed too: one that
   * fails its check is moved aside (`onProblem` is told) and every file is hashed again.
   */
  constructor(
    readonly file: string,
    onProblem?: ProblemSink,
  ) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // missing: start empty (it is only a cache)
    }
    const opened = openSealedJson<{ version?: number; entries?: Record<string, StatEntry> }>(text);
    if ('value' in opened) {
      if (opened.value.version === 2 && opened.value.entries) this.entries = opened.value.entries;
      return;
    }
    if (/^\{"version":1,/.test(text)) return; // an older, unsealed cache: start over quietly
    const dest = quarantineSync(path.dirname(file), file);
    if (dest) onProblem?.({ what: 'stat cache', file, why: opened.why, quarantined: dest });
  }

  /** The digest recorded for `abs` if its stat still matches. */
  lookup(abs: string, st: Stats): string | undefined {
    const e = this.entries[abs];
    if (!e) return undefined;
    const same = e.dev === st.dev && e.ino === st.ino && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs;
    if (!same) return undefined;
    const coarse = Number.isInteger(st.mtimeMs / 1000);
    if (coarse && e.hashedAt - st.mtimeMs < RACY_MS) return undefined;
    return e.digest;
  }

  /** Whether `abs` was ever hashed in this cache (whatever its stat now). */
  knows(abs: string): boolean {
    return abs in this.entries;
  }

  /**
   * Records the digest of an input file just hashed, and saves the cache now rather than at the
   * end of the run: a run killed after hashing a 1 GB input must not have to hash it again.
   * Best effort: a failed save is retried by the run's final one, which reports errors.
   */
  recordInput(abs: string, st: Stats, digest: string, hashedAt: number): void {
    this.record(abs, st, digest, hashedAt);
    this.save().catch(() => {});
  }

  record(abs: string, st: Stats, digest: string, hashedAt = Date.now()): void {
    this.entries[abs] = { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, digest, hashedAt };
    this.dirty = true;
  }

  forget(abs: string): void {
    if (abs in this.entries) {
      delete this.entries[abs];
      this.dirty = true;
    }
  }

  paths(): string[] {
    return Object.keys(this.entries);
  }

  /**
   * Writes the cache (temp file + rename) if it changed. Saves are queued one after the
   * other: concurrent pipelines (sweep variants) each save at their end.
   */
  save(): Promise<void> {
    const next = this.saving.then(() => this.write());
    this.saving = next.catch(() => {});
    return next;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const text = sealJson({ version: 2, entries: this.entries });
      await writeFile(tmp, text).catch(async (err: unknown) => {
        await rm(tmp, { force: true }); // a full disk leaves an empty one behind
        throw noteWrite(err, tmp, text.length);
      });
      await rename(tmp, this.file);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}

export interface FileDigest {
  digest: string;
  size: number;
  /** True when the file was read (not found in the stat cache). */
  hashed: boolean;
}

/**
 * The content digest of a file, from the stat cache when it can be trusted. A file that
 * another caller is hashing right now is not read a second time.
 */
export async function fileDigest(abs: string, cache: StatCache, signal?: AbortSignal, onHash?: (size: number) => void): Promise<FileDigest> {
  const st = statSync(abs);
  const cached = cache.lookup(abs, st);
  if (cached) return { digest: cached, size: st.size, hashed: false };
  const pending = cache.hashing.get(abs);
  if (pending) return { ...(await pending), hashed: false };
  const p = hashAndRecord(abs, st, cache, signal, onHash);
  cache.hashing.set(abs, p);
  try {
    return await p;
  } finally {
    cache.hashing.delete(abs);
  }
}

async function hashAndRecord(abs: string, st: Stats, cache: StatCache, signal?: AbortSignal, onHash?: (size: number) => void): Promise<FileDigest> {
  onHash?.(st.size);
  const startedAt = Date.now();
  const { digest, size } = await sha256File(abs, signal);
  const after = statSync(abs);
  // Only record if the file did not change while we read it.
  if (sameStat(st, after)) cache.recordInput(abs, st, digest, startedAt);
  return { digest, size, hashed: true };
}

/**
 * Whether two stats of a file say it did not change between them (same device, inode, size,
 * mtime and ctime): the rule for recording a digest computed between them.
 */
export function sameStat(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
