/**
 * What the cache folder keeps about runs, as types: a step execution's run record, a
 * pipeline's last state, and a pipeline run's history record. Plain data, written as JSON by
 * store.ts; kept apart so that the step contract and the events can name them without
 * importing the store.
 */
/** What a step's cache key is the hash of (key.ts computes it). */
export interface KeyMaterial {
  scheme: number;
  type: string;
  version: number;
  options: Record<string, unknown>;
  /** Input name → `<upstream key>/<output>`. */
  inputs: Record<string, string>;
  /** File path (relative to the pipeline's folder) → sha256 of its content. */
  files: Record<string, string>;
}

export interface StoredOutput {
  kind: string;
  storage: 'value' | 'file';
  digest: string;
  size: number;
}

export interface RunRecord {
  layout: number;
  key: string;
  runId: string;
  /** The step id and pipeline that produced it (informational; the key is what matters). */
  stepId: string;
  pipeline: string;
  material: KeyMaterial;
  outputs: Record<string, StoredOutput>;
  /** Values of outputs marked `metrics: true`. */
  metrics?: Record<string, unknown>;
  /** Set when this key's result was not executed but reused by early cutoff: the key it came from. */
  reusedFrom?: string;
  /** The key by input content of the execution (key.ts contentKeyOf); steps with inputs only. */
  contentKey?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  logs: string[];
}

export interface StepState {
  type: string;
  key: string;
  material: KeyMaterial;
  status: StepStatus;
  /** Output name → absolute path it was materialized to. */
  materialized: Record<string, string>;
}

export type StepStatus = 'cached' | 'ran' | 'failed' | 'skipped' | 'interrupted';

export interface PipelineState {
  layout: number;
  pipeline: string;
  /** A sweep variant's label: each variant keeps its own state (see PipelineRunOptions.stateId). */
  label?: string;
  updatedAt: string;
  runId: string;
  steps: Record<string, StepState>;
}

export interface HistoryStep {
  type: string;
  key: string;
  status: StepStatus;
  durationMs: number;
  outputs: Record<string, StoredOutput & { path?: string }>;
  error?: string;
  /** It ran once for several sweep variants, in another variant's run (this one waited for it). */
  shared?: boolean;
  /** Warnings its run logged (the step's `warning:` lines), for a cache hit too. */
  warnings?: string[];
}

/** What a sweep variant's history record says about its sweep. */
export interface HistorySweep {
  /** The sweep's id (shared by all its variants' records). */
  id: string;
  /** The variant's name (its varying params, `alpha=0.4,total_images=500`), also its output folder's name. */
  variant: string;
  /** The params that vary across the sweep, with this variant's values. */
  varying: Record<string, unknown>;
}

export interface HistoryRecord {
  layout: number;
  runId: string;
  pipeline: string;
  pipelineId: string;
  label?: string;
  sweep?: HistorySweep;
  params: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  status: 'ok' | 'failed' | 'interrupted';
  steps: Record<string, HistoryStep>;
  /** `stepId.output` → metrics record. */
  metrics: Record<string, unknown>;
  /** What the cache found damaged during the run and moved aside (the affected steps ran again). */
  repairs?: string[];
}

/** Sortable, unique run ids: UTC time to the millisecond, pid, random. */
