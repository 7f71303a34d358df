/**
 * Running a sweep: every variant through one executor, so one cache, one lock, one memo of
 * decoded artifacts and one table of in-flight executions. A step whose key several
 * variants share (load, stats, histograms, ...) runs once: the first variant to need it
 * runs it, the others wait for that execution (or find its record: a cache hit).
 *
 * Variants run concurrently, up to `jobs` at once; the executor bounds the steps executing
 * at once by the same number, and runs CPU-heavy steps in worker threads, so two variants'
 * samplers use two cores. A variant that fails does not stop the others.
 */
import pLimit from 'p-limit';
import { performance } from 'node:perf_hooks';
import type { SweepVariantOutcome } from './report.js';
import type { Executor } from '../exec/executor.js';
import type { Pipeline } from '../pipeline/types.js';
import { type HistorySweep } from '../cache/records.js';

export interface SweepVariantPlan {
  /** The variant's name (its folder's name). */
  name: string;
  /** Its folder (absolute). */
  folder: string;
  /** Its values of the params that vary across the sweep. */
  varying: Record<string, unknown>;
  /** The pipeline resolved with its params, output paths moved into its folder. */
  pipeline: Pipeline;
  /** The folder the output paths were moved from (see sweep-paths.ts): other paths of the variant move the same way. */
  movedFrom: string;
  stateId: string;
}

export interface SweepRunOptions {
  sweepId: string;
  /** Variants running at once. */
  jobs: number;
  signal: AbortSignal;
}

export async function runSweep(executor: Executor, plans: readonly SweepVariantPlan[], opts: SweepRunOptions): Promise<SweepVariantOutcome[]> {
  const limit = pLimit(Math.max(1, opts.jobs));
  return Promise.all(plans.map((plan) => limit(() => runVariant(executor, plan, opts))));
}

async function runVariant(executor: Executor, plan: SweepVariantPlan, opts: SweepRunOptions): Promise<SweepVariantOutcome> {
  const base = { name: plan.name, folder: plan.folder, varying: plan.varying };
  if (opts.signal.aborted) return { ...base, status: 'interrupted', durationMs: 0, steps: [], metrics: {}, error: 'not started (interrupted)' };
  const sweep: HistorySweep = { id: opts.sweepId, variant: plan.name, varying: plan.varying };
  const t0 = performance.now();
  try {
    const r = await executor.runPipeline(plan.pipeline, { label: plan.name, stateId: plan.stateId, sweep, afterRun: false });
    const metrics: SweepVariantOutcome['metrics'] = {};
    for (const s of r.steps) for (const o of s.outputs) if (o.metrics) metrics[`${s.id}.${o.name}`] = o.metrics;
    const failed = r.steps.find((s) => s.status === 'failed' || s.status === 'interrupted');
    return {
      ...base,
      status: r.status,
      runId: r.runId,
      durationMs: r.durationMs,
      steps: r.steps,
      metrics,
      ...(r.historyFile ? { historyFile: r.historyFile } : {}),
      ...(failed ? { error: `${failed.id}: ${failed.error ?? failed.status}` } : {}),
    };
  } catch (err) {
    // Not a step's failure (those are in the result) but the run's own, e.g. an input file
    // that could not be hashed: this variant failed, the others go on.
    return { ...base, status: opts.signal.aborted ? 'interrupted' : 'failed', durationMs: performance.now() - t0, steps: [], metrics: {}, error: err instanceof Error ? err.message : String(err) };
  }
}
