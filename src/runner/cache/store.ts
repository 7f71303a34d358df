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
 *   data/<step type>/         what a step's sync fetched from elsewhere (downloads), kept
 *                             across runs so that nothing is fetched twice; its own to manage
 *   tmp/                      temp files and step scratch folders (same filesystem as
 *                             objects/, so storing an output is a rename)
 *   lock                      see lock.ts
 *
 *   quarantine/               what failed its check (integrity.ts), kept as evidence
 *
 * Every file is written to tmp/ first and renamed into place, so a crash leaves either the
 * old file or the new one, never half of one. A step counts as done only when its run
 * record exists, is sealed, and every object it names checks out against its sha256
 * (through the stat cache: a stat per object while the object is unchanged).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { fileDigest, sameStat as sameFileStat, StatCache } from './file-digests.js';
import { openSealedJson, quarantine, sealJson, type CacheProblem, type ProblemSink } from './integrity.js';
import type { HistoryRecord, PipelineState, RunRecord } from './records.js';
import { noteWrite } from '../../base/fs-problems.js';
import { CACHE_TAG, CACHE_TAG_TEXT, cacheWriteError } from './cache-problems.js';

/** 2: every JSON file is sealed and every object verified (1: neither). Older files are ignored, not reported. */
export const STORE_LAYOUT_VERSION = 2;

/**
 * An object whose bytes are not what its name says, found as it was read (it changed after the
 * run checked it): it was quarantined. Said in plain words, never as a crash: the cache's damage
 * is not a bug of the step that read it, and the next run recomputes it.
 */
export class CorruptObjectError extends DiagnosticError {
  constructor(
    readonly digest: string,
    readonly problem: CacheProblem,
  ) {
    super([
      {
        severity: 'error',
        message:
          `the cache object ${digest.slice(0, 12)}… failed its check as it was read (${problem.why})` +
          `${problem.quarantined ? '; it was moved to quarantine' : ''}. Run again: the step that made it will recompute it`,
      },
    ]);
    this.name = 'CorruptObjectError';
  }
}

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
  readonly dataDir: string;
  readonly statCacheFile: string;
  readonly lockFile: string;
  private statCacheLoaded: StatCache | undefined;
  private readonly sinks: ProblemSink[] = [];
  /** Everything this store found damaged and moved aside, in order. */
  readonly problems: CacheProblem[] = [];
  /** Files already reported (a read-only store finds the same damage again on every read). */
  private readonly reported = new Set<string>();

  /**
   * `readOnly`: for commands that do not hold the lock (plan, runs, diff): what fails its
   * check is reported and passed over, but not moved.
   */
  constructor(
    root: string,
    readonly opts: { readOnly?: boolean } = {},
  ) {
    this.root = path.resolve(root);
    this.objectsDir = path.join(this.root, 'objects');
    this.runsDir = path.join(this.root, 'runs');
    this.stateDir = path.join(this.root, 'state');
    this.historyDir = path.join(this.root, 'history');
    this.cutoffDir = path.join(this.root, 'cutoff');
    this.tmpDir = path.join(this.root, 'tmp');
    this.dataDir = path.join(this.root, 'data');
    this.statCacheFile = path.join(this.root, 'statcache.json');
    this.lockFile = path.join(this.root, 'lock');
  }

  /** The digests of files by stat (inputs, outputs and this store's own objects). */
  get statCache(): StatCache {
    this.statCacheLoaded ??= new StatCache(this.statCacheFile, (p) => this.report(p));
    return this.statCacheLoaded;
  }

  /** Called with every problem found, those found already first (a run's reporter). */
  onProblem(sink: ProblemSink): void {
    this.sinks.push(sink);
    for (const p of this.problems) sink(p);
  }

  private report(p: CacheProblem): void {
    this.problems.push(p);
    for (const sink of this.sinks) sink(p);
  }

  /** Moves a file that failed its check aside and says so. */
  async reject(file: string, what: string, why: string): Promise<CacheProblem> {
    this.statCache.forget(file);
    // A read-only store leaves the file in place, and would find it again on every read.
    if (this.opts.readOnly && this.reported.has(file)) return { what, file, why };
    this.reported.add(file);
    const moved = this.opts.readOnly ? undefined : await quarantine(this.root, file);
    const problem: CacheProblem = { what, file, why, ...(moved ? { quarantined: moved } : {}) };
    this.report(problem);
    return problem;
  }

  async init(): Promise<void> {
    try {
      for (const d of [this.objectsDir, this.runsDir, this.stateDir, this.historyDir, this.cutoffDir, this.tmpDir]) await mkdir(d, { recursive: true });
      const tag = path.join(this.root, CACHE_TAG);
      if (!existsSync(tag)) await writeFile(tag, CACHE_TAG_TEXT).catch((err: unknown) => Promise.reject(noteWrite(err, tag, CACHE_TAG_TEXT.length)));
    } catch (err) {
      throw cacheWriteError(err, this.root, 'creating its folders') ?? err;
    }
  }

  objectPath(digest: string): string {
    return path.join(this.objectsDir, digest.slice(0, 2), digest);
  }

  /**
   * Present, with the expected size and content. Content is checked against the object's name
   * through the stat cache: an object unchanged since it was last hashed (same inode, size,
   * mtime and ctime) costs a stat; anything else is read and hashed. One that fails is
   * quarantined.
   */
  async verifyObject(digest: string, size: number): Promise<boolean> {
    const file = this.objectPath(digest);
    let actual: number;
    try {
      actual = statSync(file).size;
    } catch {
      return false;
    }
    if (actual !== size) {
      await this.reject(file, 'object', `it has ${actual} bytes, not ${size}`);
      return false;
    }
    if ((await fileDigest(file, this.statCache)).digest !== digest) {
      await this.reject(file, 'object', 'its content does not match its sha256');
      return false;
    }
    return true;
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
    if (!(await this.verifyObject(digest, size))) {
      const tmp = this.tempPath('obj');
      try {
        await writeFile(tmp, bytes);
      } catch (err) {
        await rm(tmp, { force: true });
        throw noteWrite(err, tmp, size);
      }
      await this.install(tmp, digest);
    }
    return { digest, size };
  }

  /**
   * Moves a finished file into the store (hashing it on the way). `move: false` copies
   * instead, for files the store does not own. `known`: the digest and size of the bytes the
   * caller itself just wrote to `file` (a worker thread of this process hashed them as it wrote
   * them), which spares reading them back.
   */
  async putFile(file: string, move: boolean, known?: { digest: string; size: number }): Promise<{ digest: string; size: number }> {
    let digest: string;
    let size = 0;
    if (known) ({ digest, size } = known);
    else {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      digest = hash.digest('hex');
    }
    if (await this.verifyObject(digest, size)) {
      if (move) await unlink(file).catch(() => {});
      return { digest, size };
    }
    let src = file;
    if (!move) {
      src = this.tempPath('obj');
      try {
        await copyFile(file, src);
      } catch (err) {
        await rm(src, { force: true });
        throw noteWrite(err, src, size);
      }
    }
    await this.install(src, digest);
    return { digest, size };
  }

  private async install(tmp: string, digest: string): Promise<void> {
    const dest = this.objectPath(digest);
    await mkdir(path.dirname(dest), { recursive: true });
    await chmod(tmp, 0o444);
    await rename(tmp, dest);
    // Hashed on the way in: the object needs no reading to be trusted until it changes.
    this.statCache.record(dest, statSync(dest), digest);
  }

  /**
   * An object's bytes, checked against its name: by the stat cache's rule when the object is
   * unchanged since it was last hashed, both before and after the read (a stat each), else by
   * hashing the bytes read.
   */
  async readObject(digest: string): Promise<Buffer> {
    const file = this.objectPath(digest);
    const before = statOrUndefined(file);
    const bytes = await readFile(file);
    const trusted = before !== undefined && this.statCache.lookup(file, before) === digest && sameStat(before, statOrUndefined(file));
    if (!trusted && createHash('sha256').update(bytes).digest('hex') !== digest) {
      throw new CorruptObjectError(digest, await this.reject(file, 'object', 'its content does not match its sha256'));
    }
    return bytes;
  }

  /**
   * A sealed JSON file of the cache: its value, or undefined when it is missing, was written by
   * an older layout (ignored), or fails its check (quarantined and reported).
   */
  async readSealed<T extends { layout?: number }>(file: string, what: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const opened = openSealedJson<T>(text);
    if ('value' in opened) return opened.value;
    try {
      const old = JSON.parse(text) as { layout?: unknown };
      if (typeof old.layout === 'number' && old.layout < STORE_LAYOUT_VERSION) return undefined;
    } catch {
      // not JSON: damaged
    }
    await this.reject(file, what, opened.why);
    return undefined;
  }

  // --- run records -------------------------------------------------------------------

  private recordDir(key: string): string {
    return path.join(this.runsDir, key);
  }

  async writeRecord(rec: RunRecord): Promise<void> {
    await this.writeJsonAtomic(path.join(this.recordDir(rec.key), `${rec.runId}.json`), rec);
  }

  /** Every record of a key, newest first. A record that fails its check is quarantined and skipped. */
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
      const rec = await this.readSealed<RunRecord>(path.join(this.recordDir(key), n), 'run record');
      if (rec) out.push(rec);
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
        if (!(await this.verifyObject(o.digest, o.size))) {
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
    await this.writeJsonAtomic(path.join(this.cutoffDir, contentKey), { layout: STORE_LAYOUT_VERSION, key });
  }

  /** A valid record of an execution with the input content `contentKey`, if there is one. */
  async cutoffRecord(contentKey: string): Promise<RunRecord | undefined> {
    const note = await this.readSealed<{ layout: number; key: string }>(path.join(this.cutoffDir, contentKey), 'cutoff note');
    return note && /^[0-9a-f]{64}$/.test(note.key) ? this.validRecord(note.key, contentKey, true) : undefined;
  }

  /** Whether `key` may have a record (a guess from one stat: the records are not read). */
  mayHaveRecord(key: string): boolean {
    return existsSync(this.recordDir(key));
  }

  async hasAnyRecord(key: string): Promise<boolean> {
    return (await this.records(key)).length > 0;
  }

  // --- state and history ----------------------------------------------------------------

  statePath(pipelineId: string): string {
    return path.join(this.stateDir, `${pipelineId}.json`);
  }

  async readState(pipelineId: string): Promise<PipelineState | undefined> {
    const s = await this.readSealed<PipelineState>(this.statePath(pipelineId), 'pipeline state');
    return s?.layout === STORE_LAYOUT_VERSION ? s : undefined;
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
    const text = sealJson(value as object);
    try {
      await writeFile(tmp, text);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw noteWrite(err, tmp, Buffer.byteLength(text));
    }
  }

  async removeTemp(p: string): Promise<void> {
    await rm(p, { recursive: true, force: true });
  }
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function sameStat(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && sameFileStat(a, b);
}
