/**
 * The cache folder:
 *
 *   objects/<aa>/<sha256>     content-addressed artifacts (read-only files)
 *   runs/<key>/<runId>.json   one record per execution of a key (all kept: reverting an
 *                             option is a hit); written last, after every output is stored
 *   cutoff/<contentKey>       the key of an execution, by its options and input *content*
 *                             (key.ts contentKeyOf): early cutoff, see executor.ts
 *   state/<pipelineId>.json   per pipeline: the last resolved key material of each step
 *                             (what `plan` compares against to explain why a step reruns)
 *   history/<runId>.json      per pipeline run: params, each step's key/status/time, metrics
 *   statcache.json            stat → digest of external files
 *   tmp/                      temp files and step scratch folders (same filesystem as
 *                             objects/, so storing an output is a rename)
 *   lock                      see lock.ts
 *
 * Every file is written to tmp/ first and renamed into place, so a crash leaves either the
 * old file or the new one, never half of one. A step counts as done only when its run
 * record exists and every object it names is present with the recorded size.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { HistoryRecord, PipelineState, RunRecord } from './records.js';

export const STORE_LAYOUT_VERSION = 1;

export function newRunId(now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${t}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export class CacheStore {
  readonly root: string;
  readonly objectsDir: string;
  readonly runsDir: string;
  readonly stateDir: string;
  readonly historyDir: string;
  readonly cutoffDir: string;
  readonly tmpDir: string;
  readonly statCacheFile: string;
  readonly lockFile: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.objectsDir = path.join(this.root, 'objects');
    this.runsDir = path.join(this.root, 'runs');
    this.stateDir = path.join(this.root, 'state');
    this.historyDir = path.join(this.root, 'history');
    this.cutoffDir = path.join(this.root, 'cutoff');
    this.tmpDir = path.join(this.root, 'tmp');
    this.statCacheFile = path.join(this.root, 'statcache.json');
    this.lockFile = path.join(this.root, 'lock');
  }

  async init(): Promise<void> {
    for (const d of [this.objectsDir, this.runsDir, this.stateDir, this.historyDir, this.cutoffDir, this.tmpDir]) await mkdir(d, { recursive: true });
  }

  objectPath(digest: string): string {
    return path.join(this.objectsDir, digest.slice(0, 2), digest);
  }

  /** Present with the expected size. Objects are not re-hashed: they are written once, read-only. */
  async hasObject(digest: string, size: number): Promise<boolean> {
    try {
      return (await stat(this.objectPath(digest))).size === size;
    } catch {
      return false;
    }
  }

  tempPath(label: string): string {
    return path.join(this.tmpDir, `${label}.${process.pid}.${randomBytes(6).toString('hex')}`);
  }

  async makeTempDir(label: string): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return mkdtemp(path.join(this.tmpDir, `${label.replace(/[^\w-]/g, '_')}-`));
  }

  async putBytes(bytes: Uint8Array): Promise<{ digest: string; size: number }> {
    const digest = createHash('sha256').update(bytes).digest('hex');
    const size = bytes.byteLength;
    if (!(await this.hasObject(digest, size))) {
      const tmp = this.tempPath('obj');
      await writeFile(tmp, bytes);
      await this.install(tmp, digest);
    }
    return { digest, size };
  }

  /**
   * Moves a finished file into the store (hashing it on the way). `move: false` copies
   * instead, for files the store does not own.
   */
  async putFile(file: string, move: boolean): Promise<{ digest: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    const digest = hash.digest('hex');
    if (await this.hasObject(digest, size)) {
      if (move) await unlink(file).catch(() => {});
      return { digest, size };
    }
    let src = file;
    if (!move) {
      src = this.tempPath('obj');
      await copyFile(file, src);
    }
    await this.install(src, digest);
    return { digest, size };
  }

  private async install(tmp: string, digest: string): Promise<void> {
    const dest = this.objectPath(digest);
    await mkdir(path.dirname(dest), { recursive: true });
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
  }

  readObject(digest: string): Promise<Buffer> {
    return readFile(this.objectPath(digest));
  }

  // --- run records -------------------------------------------------------------------

  private recordDir(key: string): string {
    return path.join(this.runsDir, key);
  }

  async writeRecord(rec: RunRecord): Promise<void> {
    await this.writeJsonAtomic(path.join(this.recordDir(rec.key), `${rec.runId}.json`), rec);
  }

  /** Every record of a key, newest first. Unreadable records (which cannot exist unless edited by hand) are skipped. */
  async records(key: string): Promise<RunRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.recordDir(key))).filter((n) => n.endsWith('.json'));
    } catch {
      return [];
    }
    names.sort().reverse();
    const out: RunRecord[] = [];
    for (const n of names) {
      try {
        out.push(JSON.parse(await readFile(path.join(this.recordDir(key), n), 'utf8')) as RunRecord);
      } catch {
        // skip
      }
    }
    return out;
  }

  /**
   * The newest record of `key` whose objects are all present: a cache hit. With `contentKey`
   * (the key by input content, known once the upstream steps are done), a record made from
   * other input bytes is passed over: a key can hold several records when an upstream step was
   * forced or is not deterministic. Records from before content keys were kept count as a
   * match unless `exact`.
   */
  async validRecord(key: string, contentKey?: string, exact = false): Promise<RunRecord | undefined> {
    for (const rec of await this.records(key)) {
      if (rec.layout !== STORE_LAYOUT_VERSION) continue;
      if (contentKey !== undefined && rec.contentKey !== contentKey && (exact || rec.contentKey !== undefined)) continue;
      let ok = true;
      for (const o of Object.values(rec.outputs)) {
        if (!(await this.hasObject(o.digest, o.size))) {
          ok = false;
          break;
        }
      }
      if (ok) return rec;
    }
    return undefined;
  }

  /** Notes that the execution with `key` had the input content named by `contentKey`. */
  async writeCutoff(contentKey: string, key: string): Promise<void> {
    await mkdir(this.cutoffDir, { recursive: true });
    const tmp = this.tempPath('cutoff');
    try {
      await writeFile(tmp, key);
      await rename(tmp, path.join(this.cutoffDir, contentKey));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** A valid record of an execution with the input content `contentKey`, if there is one. */
  async cutoffRecord(contentKey: string): Promise<RunRecord | undefined> {
    let key: string;
    try {
      key = (await readFile(path.join(this.cutoffDir, contentKey), 'utf8')).trim();
    } catch {
      return undefined;
    }
    return /^[0-9a-f]{64}$/.test(key) ? this.validRecord(key, contentKey, true) : undefined;
  }

  async hasAnyRecord(key: string): Promise<boolean> {
    return (await this.records(key)).length > 0;
  }

  // --- state and history ----------------------------------------------------------------

  statePath(pipelineId: string): string {
    return path.join(this.stateDir, `${pipelineId}.json`);
  }

  async readState(pipelineId: string): Promise<PipelineState | undefined> {
    try {
      const s = JSON.parse(await readFile(this.statePath(pipelineId), 'utf8')) as PipelineState;
      return s.layout === STORE_LAYOUT_VERSION ? s : undefined;
    } catch {
      return undefined;
    }
  }

  async writeState(pipelineId: string, state: PipelineState): Promise<void> {
    await this.writeJsonAtomic(this.statePath(pipelineId), state);
  }

  async writeHistory(rec: HistoryRecord): Promise<string> {
    const file = path.join(this.historyDir, `${rec.runId}.json`);
    await this.writeJsonAtomic(file, rec);
    return file;
  }

  async writeJsonAtomic(file: string, value: unknown): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = this.tempPath('json');
    try {
      await writeFile(tmp, JSON.stringify(value, null, 1));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async removeTemp(p: string): Promise<void> {
    await rm(p, { recursive: true, force: true });
  }
}
