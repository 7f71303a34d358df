/** What an executor is made with, what one pipeline run is asked for, and what it returns. */
import type { EventSink } from './events.js';
import { type StepSummary } from './summary.js';
import { type StatCache } from '../cache/file-digests.js';
import type { StepRegistry } from '../step/registry.js';
import { type CacheStore } from '../cache/store.js';
import { type HistorySweep } from '../cache/records.js';

export interface ExecutorOptions {
  store: CacheStore;
  statCache: StatCache;
  registry: StepRegistry;
  jobs: number;
  signal: AbortSignal;
  emit: EventSink;
  /** Run `cpuHeavy` steps in worker threads (needs `registry.source`). Default: jobs > 1. */
  workers?: boolean;
}

export interface PipelineRunOptions {
  /** Steps to run even when cached (`'all'` for every step). */
  force?: 'all' | ReadonlySet<string>;
  /** Run only these steps and the steps they need. */
  only?: readonly string[];
  /** Variant label for events and history. */
  label?: string;
  runId?: string;
  /**
   * Where the pipeline's state (the last resolved key material of each step, what `plan`
   * explains changes against) is kept; default: the pipeline's id. Sweep variants keep one
   * each, so that they do not overwrite each other's (or a plain run's) state.
   */
  stateId?: string;
  /** For a sweep variant: its sweep, recorded in the history record. */
  sweep?: HistorySweep;
  /**
   * Call the steps' `afterRun` hooks (default true). Sweep variants pass false: a hook writes
   * where the plain pipeline's files go (the report page at its `out`), which variants must
   * not; the sweep writes what its variants need itself, into their own folders.
   */
  afterRun?: boolean;
}

export interface PipelineRunResult {
  runId: string;
  status: 'ok' | 'failed' | 'interrupted';
  durationMs: number;
  steps: StepSummary[];
  historyFile?: string;
}
