/**
 * Keys that are known only once a step has run: files a step hashes itself as it reads them.
 *
 * A step type may declare, in `hashesFiles`, file options whose files it reads whole and hashes
 * in the same pass (the `load` step: a 1 GB JSON file). When the stat cache has a trusted digest
 * for such a file (the usual case once a file has been read), nothing changes: the key is known
 * up front and a hit costs a stat. When it has none (a new file, or one whose stat changed), the
 * runner does not read the file just to hash it before the step reads it again: the step runs
 * with its key deferred, reports the sha256 of the bytes it read, and only then is its key
 * computed (and the keys of the steps below it, once they are reached). Then:
 *
 * - the stat cache records the digest with the stat taken *before* the step started, and only
 *   if the file's stat is the same after it (a file changed while it was read is hashed again
 *   next time), as for a file the runner hashes itself (file-digests.ts);
 * - if a valid record already exists for that key (the file was only touched), that record is
 *   the result (unless the step was forced): the outputs are the same by construction, and
 *   early cutoff and the history see one execution of the key.
 *
 * A file is deferred only when every selected step that reads it hashes it itself; otherwise it
 * is hashed up front as before (a step that reads it without hashing needs its digest for its
 * key). Executions are shared by a provisional key (the key material with the file's path in
 * place of its digest), so sweep variants that load the same file with the same options run one
 * load. Commands that only plan (`plan`, `status`, dry runs) hash up front: they run no step.
 */
import { statSync, type Stats } from 'node:fs';
import { fileDigest, sameStat, type StatCache } from '../cache/file-digests.js';
import { keyMaterial, keyOf } from '../cache/key.js';
import type { KeyMaterial, StepState } from '../cache/records.js';
import { displayPath } from '../../base/display-path.js';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';

export interface StepKey {
  key: string;
  material: KeyMaterial;
}

/** A step that must run to learn its key, and the files it hashes as it reads them. */
export interface DeferredKey {
  /** The key with each deferred file's digest replaced by its path: shares executions. */
  provisional: StepKey;
  /** Absolute paths of the files the step must hash (ctx.hashWhileReading). */
  files: string[];
  /** `--force`: the step's own result is recorded even if the key it learns has one already. */
  forced?: boolean;
}

/** A digest the runner cannot know until the step has read the file. */
const UNREAD = 'unread:';

/** The keys of one pipeline run: those known up front, then the others as the run reaches them. */
export class RunKeys {
  private readonly keys = new Map<string, StepKey>();

  private constructor(
    private readonly p: Pipeline,
    private readonly statCache: StatCache,
    /** File path → sha256: every file read by a selected step that is not deferred, then those learned. */
    private readonly digests: Map<string, string>,
  ) {}

  /**
   * Resolves what can be known before running: the digest of every file read by the `ids`
   * steps (closed under dependencies), through the stat cache, except, with `defer`, the files
   * that every reader hashes itself and the stat cache cannot vouch for. The keys of steps that
   * read such a file, and of the steps below them, are left for `settle`.
   */
  static async resolve(
    p: Pipeline,
    ids: readonly string[],
    statCache: StatCache,
    opts: { defer: boolean; signal?: AbortSignal; onHash?: (file: string, size: number) => void },
  ): Promise<RunKeys> {
    const selfHashedOnly = new Map<string, boolean>();
    for (const id of ids) {
      const step = p.steps.get(id)!;
      for (const f of step.files) selfHashedOnly.set(f.path, (selfHashedOnly.get(f.path) ?? true) && hashesItself(step, f.option));
    }
    const digests = new Map<string, string>();
    const deferred = new Set<string>();
    for (const [file, selfHashed] of selfHashedOnly) {
      if (opts.defer && selfHashed) {
        const known = trustedDigest(file, statCache);
        if (known) digests.set(file, known);
        else deferred.add(file);
        continue;
      }
      const d = await fileDigest(file, statCache, opts.signal, (size) => opts.onHash?.(file, size));
      digests.set(file, d.digest);
    }
    const keys = new RunKeys(p, statCache, digests);
    for (const id of p.order) {
      if (!ids.includes(id)) continue;
      const step = p.steps.get(id)!;
      if (step.files.some((f) => deferred.has(f.path)) || step.deps.some((d) => !keys.keys.has(d))) continue;
      keys.set(id, keys.materialOf(step));
    }
    return keys;
  }

  /** The key of `id` if known. */
  get(id: string): StepKey | undefined {
    return this.keys.get(id);
  }

  set(id: string, key: StepKey): void {
    this.keys.set(id, key);
  }

  /**
   * The key of `id`, its upstream steps being done (their keys set): computed now, or deferred
   * when the step itself must read a file first. A file another step of the run (or of a sweep
   * variant) has meanwhile read and recorded in the stat cache is not deferred any more.
   */
  settle(id: string): StepKey | DeferredKey {
    const known = this.keys.get(id);
    if (known) return known;
    const step = this.p.steps.get(id)!;
    const files: string[] = [];
    for (const f of step.files) {
      if (this.digests.has(f.path)) continue;
      const d = trustedDigest(f.path, this.statCache);
      if (d) this.digests.set(f.path, d);
      else files.push(f.path);
    }
    if (files.length === 0) {
      const k = this.materialOf(step);
      this.keys.set(id, k);
      return k;
    }
    return { provisional: this.materialOf(step, true), files };
  }

  /**
   * The key of a step that is not done (failed, skipped, interrupted): its key if known, else
   * its provisional key, with the deferred digests and the unknown upstream keys as placeholders.
   */
  bestKnown(id: string): StepKey {
    return this.keys.get(id) ?? this.materialOf(this.p.steps.get(id)!, true);
  }

  /** The key of a step that reported its deferred files' digests (`reported`: path → sha256). */
  afterRun(id: string, reported: Readonly<Record<string, string>>): StepKey {
    const step = this.p.steps.get(id)!;
    for (const f of step.files) {
      const d = reported[f.path];
      if (d !== undefined && !this.digests.has(f.path)) this.digests.set(f.path, d);
    }
    const k = this.materialOf(step);
    this.keys.set(id, k);
    return k;
  }

  /**
   * Takes the key of a step that ran (`record`, possibly run for another pipeline sharing the
   * execution), and the digests of the files it read, for the steps still to be keyed.
   */
  adopt(id: string, record: StepKey): void {
    if (this.keys.has(id)) return;
    this.keys.set(id, { key: record.key, material: record.material });
    for (const f of this.p.steps.get(id)!.files) {
      const d = record.material.files[f.rel];
      if (d !== undefined && !this.digests.has(f.path)) this.digests.set(f.path, d);
    }
  }

  private materialOf(step: ResolvedStep, provisional = false): StepKey {
    const upstream = new Map<string, string>();
    for (const d of step.deps) upstream.set(d, this.keys.get(d)?.key ?? (provisional ? `${UNREAD}${d}` : missing(`upstream key of ${d}`)));
    const digests = new Map<string, string>();
    for (const f of step.files) digests.set(f.path, this.digests.get(f.path) ?? (provisional ? `${UNREAD}${f.path}` : missing(`digest of ${f.path}`)));
    const material = keyMaterial(step, this.p.dir, upstream, digests);
    return { key: keyOf(material), material };
  }
}

function missing(what: string): never {
  throw new Error(`RunKeys: no ${what}`);
}

/** Whether `step` hashes the file of its option `option` itself, as it reads it. */
export function hashesItself(step: ResolvedStep, option: string): boolean {
  return step.module.hashesFiles?.includes(option) ?? false;
}

/** The stat cache's digest of `file` if it can be trusted now (undefined if not, or unreadable). */
function trustedDigest(file: string, statCache: StatCache): string | undefined {
  try {
    return statCache.lookup(file, statSync(file));
  } catch {
    return undefined; // the step will say what is wrong with it
  }
}

/** The stats of the files a deferred step is about to read (undefined: cannot stat; nothing is recorded). */
export function statsBefore(files: readonly string[]): Map<string, Stats | undefined> {
  const out = new Map<string, Stats | undefined>();
  for (const f of files) {
    try {
      out.set(f, statSync(f));
    } catch {
      out.set(f, undefined);
    }
  }
  return out;
}

/**
 * After a deferred step ran: checks that it reported a digest for each file it was asked to hash,
 * and records each in the stat cache with its stat from before the run, if the file's stat is
 * unchanged (a file changed while it was read is not trusted, and is hashed again next time).
 */
export function recordReported(
  step: ResolvedStep,
  files: readonly string[],
  before: ReadonlyMap<string, Stats | undefined>,
  startedAt: number,
  reported: Readonly<Record<string, string>>,
  statCache: StatCache,
): void {
  for (const f of files) {
    const digest = reported[f];
    if (digest === undefined || !/^[0-9a-f]{64}$/.test(digest)) {
      throw new Error(
        `step type ${step.type} did not report the sha256 of ${f}, which it declares it hashes as it reads it (hashesFiles): a bug in the step type`,
      );
    }
    const st = before.get(f);
    if (!st) continue;
    let after: Stats;
    try {
      after = statSync(f);
    } catch {
      continue;
    }
    if (sameStat(st, after)) statCache.recordInput(f, st, digest, startedAt);
  }
}

/** How a step to run is keyed: known up front, or once it has read its files. */
export type Keying = (StepKey & { contentKey?: string | undefined }) | DeferredKey;

/** Why a step whose key waits for its file runs. */
export function deferredReasons(d: DeferredKey, prev: StepState | undefined, forced: boolean, known: (file: string) => boolean): string[] {
  const files = d.files.map((f) => displayPath(f)).join(', ');
  // The files this step read last time (relative to the pipeline, as keys hold them) against those it reads now.
  const unread = Object.entries(d.provisional.material.files).filter(([, v]) => v.startsWith(UNREAD)).map(([rel]) => rel);
  const firstTime = prev ? unread.filter((rel) => !(rel in prev.material.files)) : [];
  const why = !prev
    ? `new (file ${files} is hashed as the step reads it)`
    : firstTime.length > 0
      ? `file ${firstTime.join(', ')} is new to this step (its last run read ${Object.keys(prev.material.files).join(', ') || 'no file'}; hashed as the step reads it)`
      : d.files.every(known)
        ? `file ${files} changed or was touched (hashed as the step reads it)`
        : `file ${files} has not been hashed in this cache before (hashed as the step reads it)`;
  return forced ? ['forced', why] : [why];
}
