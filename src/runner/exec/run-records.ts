/**
 * What a pipeline run leaves in the cache besides its steps' records: the pipeline's state (the
 * key material of every step, which the next run and `plan` compare with) and the run's history
 * record (what `runs`, `diff`, `report` and `sweep` read).
 */
import type { Pipeline } from '../pipeline/types.js';
import type { HistoryRecord, PipelineState } from '../cache/records.js';
import { STORE_LAYOUT_VERSION } from '../cache/store.js';
import type { RunKeys } from './deferred-key.js';
import type { PipelineRunResult } from './run-options.js';
import type { StepSummary } from './summary.js';

/** The state after a run: the resolved material of every step (kept for steps outside --only, dropped for steps no longer in the pipeline). */
export function pipelineState(p: Pipeline, steps: readonly StepSummary[], keys: RunKeys, prev: PipelineState | undefined, run: { runId: string; label: string | undefined }): PipelineState {
  const state: PipelineState = {
    layout: STORE_LAYOUT_VERSION,
    pipeline: p.file,
    ...(run.label !== undefined ? { label: run.label } : {}),
    updatedAt: new Date().toISOString(),
    runId: run.runId,
    steps: { ...(prev?.steps ?? {}) },
  };
  for (const s of steps) {
    const known = keys.get(s.id);
    // A step whose key stayed unknown (it failed before reporting a file's digest, say) keeps
    // the key material of its last state, so that the next run compares with what was known.
    const kept = known ? undefined : prev?.steps[s.id];
    state.steps[s.id] = {
      type: s.type,
      key: known?.key ?? kept?.key ?? s.key,
      material: known?.material ?? kept?.material ?? keys.bestKnown(s.id).material,
      status: s.status,
      materialized: Object.fromEntries(s.outputs.filter((x) => x.path).map((x) => [x.name, x.path!])),
    };
  }
  for (const id of Object.keys(state.steps)) if (!p.steps.has(id)) delete state.steps[id];
  return state;
}

export interface RunFacts {
  runId: string;
  label: string | undefined;
  sweep: HistoryRecord['sweep'] | undefined;
  startedAt: Date;
  durationMs: number;
  status: PipelineRunResult['status'];
  /** Cache damage found and repaired during the run, in words. */
  repairs: string[];
}

/** The run's history record: params, each step's status, outputs and warnings, every metric. */
export function historyRecord(p: Pipeline, steps: readonly StepSummary[], run: RunFacts): HistoryRecord {
  const history: HistoryRecord = {
    layout: STORE_LAYOUT_VERSION,
    runId: run.runId,
    pipeline: p.file,
    pipelineId: p.id,
    ...(run.label !== undefined ? { label: run.label } : {}),
    ...(run.sweep ? { sweep: run.sweep } : {}),
    params: p.params,
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: run.durationMs,
    status: run.status,
    steps: {},
    metrics: {},
  };
  if (run.repairs.length) history.repairs = run.repairs;
  for (const s of steps) {
    history.steps[s.id] = {
      type: s.type,
      key: s.key,
      status: s.status,
      durationMs: s.durationMs,
      outputs: Object.fromEntries(s.outputs.map((x) => [x.name, { kind: x.kind, storage: x.storage, digest: x.digest, size: x.size, ...(x.path ? { path: x.path } : {}) }])),
      ...(s.error ? { error: s.error } : {}),
      ...(s.shared ? { shared: true } : {}),
      ...(s.warnings ? { warnings: s.warnings } : {}),
    };
    for (const out of s.outputs) if (out.metrics) history.metrics[`${s.id}.${out.name}`] = out.metrics;
  }
  return history;
}
