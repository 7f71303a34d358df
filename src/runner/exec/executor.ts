/**
 * The executor: runs resolved pipelines through one cache.
 *
 * - Steps start as soon as their inputs are ready; a p-limit bounds how many execute at
 *   once (`jobs`). Waiting for inputs does not hold a slot, so there is no deadlock.
 * - A step whose key has a valid run record is a hit: nothing is decoded or re-hashed; its
 *   output files are restored if missing. Artifacts are decoded only when a step that must
 *   run reads them, once per process (a memo by digest).
 * - Executions are shared by key: several pipelines (sweep variants) run through one
 *   executor, and two of them needing the same key wait on one execution (`inflight`).
 * - A failing step marks its dependents skipped; the others go on. Ctrl-C aborts the
 *   steps' signal; nothing is recorded for a step that did not finish.
 * - CPU-heavy steps run in a worker thread when the registry can be re-imported there.
 */
import { performance } from 'node:perf_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import { decide, type StepDecision } from '../graph/decide.js';
import { DiagnosticError } from '../../base/diagnostic.js';
import type { RunEvent } from './events.js';
import { fillFromRecord, type StepSummary } from './summary.js';
import { ValueMemo } from './values.js';
import { stepFailed } from './step-failure.js';
import { contentKeyOf } from '../cache/key.js';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';
import { newRunId } from '../cache/store.js';
import type { HistoryRecord, RunRecord, StepState, StepStatus, StoredOutput } from '../cache/records.js';
import { runAfterRunHooks } from './after-run.js';
import { describeProblem } from '../cache/integrity.js';
import { displayPath } from '../../base/display-path.js';
import { selectSteps } from '../graph/select.js';
import { deferredReasons, RunKeys, type Keying } from './deferred-key.js';
import { ExecutorOptions, PipelineRunOptions, PipelineRunResult } from './run-options.js';
import { placeOutputs, removeEarlierOutputs } from './place-outputs.js';
import { recordingRun } from './output-errors.js';
import { WarmWorkers } from './warm-workers.js';
import { historyRecord, pipelineState } from './run-records.js';
import { executeStep, inputDigests, noteCutoff, type ExecuteEnv, type Execution } from './execute-step.js';

interface NodeOutcome {
  summary: StepSummary;
  record?: RunRecord;
}


export class Executor implements ExecuteEnv {
  /** Bounds the steps executing at once: `jobs` on worker threads, and `jobs` light ones on the main thread. */
  private readonly limit: LimitFunction;
  private readonly mainLimit: LimitFunction;
  private readonly inflight = new Map<string, Promise<Execution>>();
  /** Decoded value artifacts by digest: one read-only copy per process (values.ts). */
  readonly values: ValueMemo;
  readonly useWorkers: boolean;
  readonly warm: WarmWorkers;

  constructor(readonly opts: ExecutorOptions) {
    // Damage found in the cache is said once, in plain words, as it is found.
    opts.store.onProblem((p) => opts.emit({ type: 'notice', message: describeProblem(p, opts.store.root) }));
    this.limit = pLimit(Math.max(1, opts.jobs));
    // Light steps (in-process, mostly I/O) do not wait behind CPU-heavy ones for a slot: each
    // worker step has a core of its own, and the main thread is free to run them meanwhile.
    this.mainLimit = pLimit(Math.max(1, opts.jobs));
    this.useWorkers = (opts.workers ?? opts.jobs > 1) && opts.registry.source !== undefined;
    this.values = new ValueMemo(opts.store, opts.registry);
    this.warm = new WarmWorkers(this.useWorkers ? opts.registry.source : undefined, (key) => opts.store.mayHaveRecord(key));
  }

  async runPipeline(p: Pipeline, ro: PipelineRunOptions = {}): Promise<PipelineRunResult> {
    const { store, emit, signal } = this.opts;
    const runId = ro.runId ?? newRunId();
    const label = ro.label;
    const base = { runId, ...(label !== undefined ? { label } : {}) };
    const t0 = performance.now();
    const startedAt = new Date();
    const damagedBefore = store.problems.length;
    const selected = selectSteps(p, ro.only);
    emit({ type: 'run-start', ...base, pipeline: p.displayFile, params: p.params, steps: selected.map((id) => ({ id, type: p.steps.get(id)!.type })), jobs: this.opts.jobs });

    // Files that steps hash as they read them are not hashed here (deferred-key.ts).
    const keys = await RunKeys.resolve(p, selected, this.opts.statCache, {
      defer: true,
      signal: this.opts.signal,
      onHash: (file, size) => emit({ type: 'hashing', ...base, file: displayPath(file), size }),
    });
    const stateId = ro.stateId ?? p.id;
    const prevState = await store.readState(stateId);
    const tasks = new Map<string, Promise<NodeOutcome>>();
    const task = (id: string): Promise<NodeOutcome> => {
      let t = tasks.get(id);
      if (!t) {
        t = this.node(p, id, keys, prevState?.steps[id], ro, base, task);
        tasks.set(id, t);
      }
      return t;
    };
    const outcomes = await Promise.all(selected.map(task));
    await this.warm.releaseRun(runId);
    // A step that failed or was skipped wrote nothing: its files from an earlier run must not
    // sit beside this run's (a pruned file and an eval that no longer match the subset).
    for (const o of outcomes) {
      if (o.summary.status !== 'failed' && o.summary.status !== 'skipped') continue;
      for (const f of await removeEarlierOutputs(p.steps.get(o.summary.id)!)) emit({ type: 'notice', ...base, message: `${o.summary.id}: removed ${displayPath(f)}, an earlier run's (this run's step ${o.summary.status})` });
    }
    const durationMs = performance.now() - t0;
    const statuses = outcomes.map((o) => o.summary.status);
    const status: PipelineRunResult['status'] = signal.aborted || statuses.includes('interrupted') ? 'interrupted' : statuses.every((s) => s === 'cached' || s === 'ran') ? 'ok' : 'failed';

    const state = pipelineState(p, outcomes.map((o) => o.summary), keys, prevState, { runId, label });
    await recordingRun(store.root, () => store.writeState(stateId, state));
    await recordingRun(store.root, () => this.opts.statCache.save());

    const repairs = store.problems.slice(damagedBefore).map((pr) => describeProblem(pr, store.root));
    const history = historyRecord(p, outcomes.map((o) => o.summary), { runId, label, sweep: ro.sweep, startedAt, durationMs, status, repairs });
    const historyFile = await recordingRun(store.root, () => store.writeHistory(history));
    if (ro.afterRun !== false) await this.afterRun(p, history);
    const steps = outcomes.map((o) => o.summary);
    emit({ type: 'run-finish', ...base, status, durationMs, steps, historyFile });
    return { runId, status, durationMs, steps, historyFile };
  }

  private async node(
    p: Pipeline,
    id: string,
    keys: RunKeys,
    prev: StepState | undefined,
    ro: PipelineRunOptions,
    base: { runId: string; label?: string },
    task: (id: string) => Promise<NodeOutcome>,
  ): Promise<NodeOutcome> {
    const { emit, signal, store, statCache } = this.opts;
    const step = p.steps.get(id)!;
    const summary: StepSummary = { id, type: step.type, key: '', status: 'skipped', durationMs: 0, outputs: [], reasons: [] };
    const upstream = await Promise.all(step.deps.map(task));
    const blocked = upstream.find((u) => u.summary.status !== 'cached' && u.summary.status !== 'ran');
    summary.key = keys.bestKnown(id).key;
    if (blocked || signal.aborted) {
      const reason = signal.aborted ? 'interrupted' : `dependency \`${blocked!.summary.id}\` ${blocked!.summary.status === 'skipped' ? 'was skipped' : blocked!.summary.status}`;
      summary.reasons = [reason];
      summary.status = signal.aborted ? 'interrupted' : 'skipped';
      emit({ type: 'step-skipped', ...base, stepId: id, stepType: step.type, reason });
      return { summary };
    }
    const forced = ro.force === 'all' || (ro.force?.has(id) ?? false);
    const upstreamRecords = new Map(upstream.map((u) => [u.summary.id, u.record!]));
    const settled = keys.settle(id);
    if ('provisional' in settled) return this.run(p, step, { ...settled, forced }, keys, upstreamRecords, base, summary, deferredReasons(settled, prev, forced, (f) => statCache.knows(f)));
    const { key, material } = settled;
    summary.key = key;
    // The key by input content (steps with inputs): for early cutoff below, and so that a hit
    // is a result made from these very input bytes.
    const contentKey = Object.keys(step.inputs).length > 0 ? contentKeyOf(material, inputDigests(step, upstreamRecords)) : undefined;
    let decision: StepDecision;
    try {
      decision = await decide(step, p.dir, key, material, prev, store, statCache, forced, contentKey);
    } catch (err) {
      return this.failed(summary, base, err, 0);
    }
    summary.reasons = decision.reasons;

    if (!decision.run) {
      this.warm.release(base.runId, id);
      const t0 = performance.now();
      const record = decision.record!;
      let restored: string[];
      try {
        restored = await this.placeOutputs(p, step, record, base);
      } catch (err) {
        return this.failed(summary, base, err, performance.now() - t0);
      }
      summary.status = 'cached';
      summary.durationMs = performance.now() - t0;
      fillFromRecord(summary, step, record);
      emit({ type: 'step-cached', ...base, stepId: id, stepType: step.type, key, restored, outputs: summary.outputs });
      return { summary, record };
    }

    // Early cutoff: an upstream step reran but its output is byte-identical to an earlier one,
    // so this step's inputs are too; an execution with the same options and input content is
    // this step's result. (Not for forced steps, nor for steps without inputs: their key is
    // already all content; nor when this key runs or ran in this process: that run is shared.)
    if (contentKey && !forced && !signal.aborted && !this.inflight.has(key)) {
      const t0 = performance.now();
      try {
        const hit = await store.cutoffRecord(contentKey);
        if (hit) {
          this.warm.release(base.runId, id);
          const record: RunRecord = { ...hit, key, runId: base.runId, stepId: id, pipeline: p.file, material, reusedFrom: hit.reusedFrom ?? hit.key, contentKey };
          await store.writeRecord(record); // the next run finds it by its plain key
          await noteCutoff(this.opts.store, contentKey, key); // and gc keeps the note while this key is kept
          const restored = await this.placeOutputs(p, step, record, base);
          summary.status = 'cached';
          summary.reasons = [...decision.reasons, 'but its inputs are byte-identical to an earlier run’s: that result is reused'];
          summary.durationMs = performance.now() - t0;
          fillFromRecord(summary, step, record);
          emit({ type: 'step-cached', ...base, stepId: id, stepType: step.type, key, restored, outputs: summary.outputs, reasons: summary.reasons });
          return { summary, record };
        }
      } catch (err) {
        return this.failed(summary, base, err, performance.now() - t0);
      }
    }
    return this.run(p, step, { key, material, contentKey }, keys, upstreamRecords, base, summary, decision.reasons);
  }

  /** Runs a step (once per key in the process: `inflight`), or waits for its run in another pipeline. */
  private async run(
    p: Pipeline,
    step: ResolvedStep,
    keying: Keying,
    keys: RunKeys,
    upstreamRecords: Map<string, RunRecord>,
    base: { runId: string; label?: string },
    summary: StepSummary,
    reasons: string[],
  ): Promise<NodeOutcome> {
    const { emit } = this.opts;
    const id = step.id;
    summary.reasons = reasons;
    // A deferred key is shared by its provisional key: the same step on the same file.
    const key = 'provisional' in keying ? keying.provisional.key : keying.key;
    const t0 = performance.now();
    const existing = this.inflight.get(key);
    const willUseWorker = this.useWorkers && step.module.cpuHeavy === true;
    emit({ type: 'step-start', ...base, stepId: id, stepType: step.type, key, reasons, worker: willUseWorker, shared: existing !== undefined });
    this.warm.upstreamStarted(p, base.runId, id, keys);
    let exec: Promise<Execution>;
    if (existing) exec = existing;
    else {
      exec = (willUseWorker ? this.limit : this.mainLimit)(() => executeStep(this, p, step, keying, keys, upstreamRecords, base));
      this.inflight.set(key, exec);
      // A forced key runs once per process; failures are not retried by later variants either.
    }
    try {
      const { record, worker, reused } = await exec;
      keys.adopt(id, record);
      summary.key = record.key;
      if (reused) summary.reasons = [...reasons, 'its file’s content is unchanged (it was only touched): the cached result stands'];
      await this.placeOutputs(p, step, record, base);
      summary.status = 'ran';
      summary.durationMs = performance.now() - t0;
      fillFromRecord(summary, step, record);
      summary.worker = worker;
      if (existing) summary.shared = true;
      emit({ type: 'step-finish', ...base, stepId: id, stepType: step.type, key: record.key, durationMs: summary.durationMs, outputs: summary.outputs });
      return { summary, record };
    } catch (err) {
      return this.failed(summary, base, err, performance.now() - t0);
    }
  }

  private failed(summary: StepSummary, base: { runId: string; label?: string }, err: unknown, durationMs: number): NodeOutcome {
    stepFailed(this.opts.emit, summary, base, err, durationMs, this.opts.signal.aborted);
    return { summary };
  }

  /** Output files at their paths, and the step's sync (place-outputs.ts). */
  private placeOutputs(p: Pipeline, step: ResolvedStep, record: RunRecord, base: { runId: string; label?: string }): Promise<string[]> {
    const { store, statCache, emit, signal } = this.opts;
    return placeOutputs({ store, statCache, emit, signal, values: this.values }, p, step, record, base);
  }

  /**
   * Calls the `afterRun` hook of every step that ran or was a cache hit (a run report, say).
   * A hook that fails is reported as a notice: the run's results stand.
   */
  private async afterRun(p: Pipeline, history: HistoryRecord): Promise<void> {
    const read = (out: StoredOutput) => (out.storage === 'file' ? Promise.resolve(this.opts.store.objectPath(out.digest)) : this.values.get(out));
    for (const { stepId, written, error } of await runAfterRunHooks(p, history, read, {})) {
      for (const file of written) this.opts.emit({ type: 'notice', runId: history.runId, message: `${stepId}: wrote ${displayPath(file)}` });
      if (error !== undefined) {
        const message = error instanceof DiagnosticError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.opts.emit({ type: 'notice', runId: history.runId, message: `${stepId}: after the run: ${message}` });
      }
    }
  }
}


export type { RunEvent, StepStatus };
