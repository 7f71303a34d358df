/**
 * One step executed (the executor's cache misses): its inputs found in the store, the step run
 * on the main thread or in a worker, every output stored, and its run record written as the
 * commit point. A failure at any point leaves no record, and the step's temp folder is removed.
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { contentKeyOf } from '../cache/key.js';
import type { RunRecord, StoredOutput } from '../cache/records.js';
import { STORE_LAYOUT_VERSION, type CacheStore } from '../cache/store.js';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';
import type { StepContext, StepModule } from '../step/step.js';
import { recordReported, statsBefore, type Keying, type RunKeys } from './deferred-key.js';
import { progressReporter, type ProgressEvent } from './progress.js';
import type { ExecutorOptions } from './run-options.js';
import { asStepFailure, StepFailure } from './step-failure.js';
import { isInside, missingOutputError, outputFileFor } from './step-outputs.js';
import type { ValueMemo } from './values.js';
import type { WarmWorkers } from './warm-workers.js';
import { runInWorker, type WorkerInput } from './worker-client.js';

export interface Execution {
  record: RunRecord;
  worker: boolean;
  /** A deferred key turned out to have a valid record already (a touched file): that record. */
  reused?: boolean;
}

/** What an execution needs of the executor. */
export interface ExecuteEnv {
  readonly opts: ExecutorOptions;
  readonly values: ValueMemo;
  readonly useWorkers: boolean;
  readonly warm: WarmWorkers;
}

type Base = { runId: string; label?: string };

/** A step's run, whichever thread it ran on: its stored outputs and their metrics. */
interface Produced {
  stored: Record<string, StoredOutput>;
  metrics: Record<string, unknown>;
  worker: boolean;
}

/** What the step is given: where its inputs and files are, its temp folder, its hooks. */
interface Setup {
  step: ResolvedStep;
  base: Base;
  inputRefs: Record<string, StoredOutput>;
  fileDigests: Record<string, string>;
  hashWhileReading: string[];
  tempDir: string;
  log: (message: string) => void;
  /** Digests of the files the step hashed while reading them (deferred keys), filled as it reports them. */
  reported: Record<string, string>;
}

export async function executeStep(env: ExecuteEnv, p: Pipeline, step: ResolvedStep, keying: Keying, keys: RunKeys, upstream: Map<string, RunRecord>, base: Base): Promise<Execution> {
  const { store, emit, signal } = env.opts;
  const deferred = 'provisional' in keying ? keying : undefined;
  const direct = 'provisional' in keying ? undefined : keying;
  // Deferred: the files' stats before the step reads them (recorded with their digests after).
  const before = deferred ? statsBefore(deferred.files) : undefined;
  if (signal.aborted) throw new StepFailure(undefined, new Error('interrupted'), true);
  const startedAt = new Date();
  const t0 = performance.now();
  const logs: string[] = [];
  const tempDir = await store.makeTempDir(step.id).catch((err: unknown) => Promise.reject(asStepFailure(err, store.root, step.id, signal.aborted)));
  const log = (message: string) => {
    logs.push(message);
    emit({ type: 'step-log', ...base, stepId: step.id, message });
  };
  try {
    const inputRefs = inputRefsOf(step, upstream);
    const hashWhileReading = deferred?.files ?? [];
    const setup: Setup = { step, base, inputRefs, fileDigests: fileDigestsOf(step, keying, inputRefs, hashWhileReading, store), hashWhileReading, tempDir, log, reported: {} };
    const produced = env.useWorkers && step.module.cpuHeavy ? await runOnWorker(env, setup) : await runHere(env, setup);
    if (signal.aborted) throw new StepFailure(undefined, new Error('interrupted'), true);
    // A deferred key is known now, from the digests the step reported.
    if (deferred) recordReported(step, deferred.files, before!, startedAt.getTime(), setup.reported, env.opts.statCache);
    const { key, material } = deferred ? keys.afterRun(step.id, setup.reported) : direct!;
    const contentKey = deferred ? (Object.keys(step.inputs).length > 0 ? contentKeyOf(material, inputDigests(step, upstream)) : undefined) : direct!.contentKey;
    if (deferred && !deferred.forced) {
      const had = await store.validRecord(key, contentKey);
      if (had) return { record: had, worker: produced.worker, reused: true };
    }
    const record: RunRecord = {
      layout: STORE_LAYOUT_VERSION,
      key,
      runId: base.runId,
      stepId: step.id,
      pipeline: p.file,
      material,
      outputs: produced.stored,
      ...(Object.keys(produced.metrics).length ? { metrics: produced.metrics } : {}),
      ...(contentKey ? { contentKey } : {}),
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: performance.now() - t0,
      logs,
    };
    // The record is the commit point: written only now that every output is stored.
    await store.writeRecord(record);
    // Also findable by input content (early cutoff for later runs).
    if (contentKey) await noteCutoff(store, contentKey, key);
    return { record, worker: produced.worker };
  } catch (err) {
    throw asStepFailure(err, store.root, step.id, signal.aborted);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** Inputs: where each one lives in the store. */
function inputRefsOf(step: ResolvedStep, upstream: Map<string, RunRecord>): Record<string, StoredOutput> {
  const refs: Record<string, StoredOutput> = {};
  for (const [name, inp] of Object.entries(step.inputs)) {
    const stored = upstream.get(inp.step)!.outputs[inp.output];
    if (!stored) throw new Error(`run record of ${inp.step} has no output ${inp.output}`);
    refs[name] = stored;
  }
  return refs;
}

/** The content digest of every file the step reads that is known already (the key material has them). */
function fileDigestsOf(step: ResolvedStep, keying: Keying, inputRefs: Record<string, StoredOutput>, hashWhileReading: string[], store: CacheStore): Record<string, string> {
  const digests: Record<string, string> = {};
  const known = 'provisional' in keying ? keying.provisional.material : keying.material;
  for (const f of step.files) if (known.files[f.rel] && !hashWhileReading.includes(f.path)) digests[f.path] = known.files[f.rel]!;
  for (const s of Object.values(inputRefs)) if (s.storage === 'file') digests[store.objectPath(s.digest)] = s.digest;
  return digests;
}

/** The step in a worker thread: it writes its outputs as files, which are stored from there. */
async function runOnWorker(env: ExecuteEnv, s: Setup): Promise<Produced> {
  const { store, emit, signal, registry } = env.opts;
  const { step, base } = s;
  const mod = step.module;
  const wi: WorkerInput = {
    registry: registry.source!,
    stepType: mod.type,
    stepId: step.id,
    options: step.options,
    inputs: Object.fromEntries(Object.entries(s.inputRefs).map(([n, r]) => [n, { kind: r.kind, storage: r.storage, path: store.objectPath(r.digest) }])),
    tempDir: s.tempDir,
    fileDigests: s.fileDigests,
    hashWhileReading: s.hashWhileReading,
  };
  const hooks = { progress: (ev: ProgressEvent) => emit({ type: 'step-progress', ...base, stepId: step.id, ...ev }), log: s.log };
  const res = await runInWorker(wi, signal, hooks, env.warm.take(base.runId, step.id));
  Object.assign(s.reported, res.digests);
  const stored: Record<string, StoredOutput> = {};
  const metrics: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(mod.outputs)) {
    const o = res.outputs[name];
    if (!o) throw new Error(`step type ${mod.type} did not produce output \`${name}\``);
    const put = await putOutputFile(store, mod, name, o.path, o.owned, o.written);
    stored[name] = { kind: spec.kind, storage: registry.kind(spec.kind).storage, ...put };
    if (spec.metrics) metrics[name] = res.metrics[name];
  }
  return { stored, metrics, worker: true };
}

/** The step on the main thread: value outputs are encoded and stored, file outputs stored from where it wrote them. */
async function runHere(env: ExecuteEnv, s: Setup): Promise<Produced> {
  const { store, emit, signal, registry } = env.opts;
  const { step, base, tempDir } = s;
  const mod = step.module;
  const inputs: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(s.inputRefs)) inputs[name] = r.storage === 'file' ? store.objectPath(r.digest) : await env.values.get(r);
  const outputFile = outputFileFor(mod, registry, tempDir);
  const progress = progressReporter((ev) => emit({ type: 'step-progress', ...base, stepId: step.id, ...ev }));
  const reportDigest = (path: string, sha256: string) => void (s.reported[path] = sha256);
  const ctx: StepContext = { stepId: step.id, options: step.options, inputs, progress, log: s.log, signal, outputFile, tempDir, fileDigests: s.fileDigests, hashWhileReading: s.hashWhileReading, reportDigest };
  const result = (await mod.run(ctx)) as Record<string, unknown> | undefined;
  if (signal.aborted) throw new StepFailure(undefined, new Error('interrupted'), true);
  const stored: Record<string, StoredOutput> = {};
  const metrics: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(mod.outputs)) {
    const kind = registry.kind(spec.kind);
    const v = result?.[name];
    if (kind.storage === 'value') {
      if (v === undefined) throw new Error(`step type ${mod.type} returned no value for output \`${name}\``);
      const bytes = await kind.encode(v);
      const put = await store.putBytes(bytes);
      stored[name] = { kind: spec.kind, storage: 'value', ...put };
      // Consumers get the value decoded from these bytes (input-value.ts), not `v` itself.
      env.values.produced(put.digest, bytes);
      if (spec.metrics) metrics[name] = v;
    } else {
      const file = typeof v === 'string' ? v : outputFile(name);
      const put = await putOutputFile(store, mod, name, file, isInside(tempDir, file));
      stored[name] = { kind: spec.kind, storage: 'file', ...put };
    }
  }
  return { stored, metrics, worker: false };
}

/** Moves (owned) or copies a step's output file into the store. */
async function putOutputFile(store: CacheStore, mod: StepModule, name: string, file: string, owned: boolean, known?: { digest: string; size: number }): Promise<{ digest: string; size: number }> {
  try {
    return await store.putFile(file, owned, known);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missingOutputError(mod, name);
    throw err;
  }
}

/**
 * Notes which key holds the result for `contentKey`. Only an optimization for later runs: a
 * failure to write it (a full disk, say) must not fail a step whose result is stored.
 */
export async function noteCutoff(store: CacheStore, contentKey: string, key: string): Promise<void> {
  try {
    await store.writeCutoff(contentKey, key);
  } catch {
    // the next run just will not find this result by content
  }
}

/** Input name → digest of the upstream output it reads (for the content key). */
export function inputDigests(step: ResolvedStep, upstream: Map<string, RunRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, inp] of Object.entries(step.inputs)) {
    const stored = upstream.get(inp.step)?.outputs[inp.output];
    out[name] = stored ? stored.digest : `missing:${inp.step}/${inp.output}`;
  }
  return out;
}
