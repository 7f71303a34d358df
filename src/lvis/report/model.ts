/**
 * What a run report shows, as plain data: the HTML writer (report.ts) renders exactly this,
 * and nothing else, so a report is a pure function of its model. The model is filled from the
 * runner's run history record (steps, statuses, times, metrics) and the `plot` step's charts.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Chart } from '../plots/types.js';

export type ReportStepStatus = 'cached' | 'ran' | 'failed' | 'skipped' | 'interrupted' | 'pending';

export interface ReportStep {
  id: string;
  type: string;
  status: ReportStepStatus;
  /** Wall time of the step in this run (a cache hit's is the time to check and restore). */
  durationMs: number;
  /** Ids of the steps it reads from (the DAG's edges). */
  deps: string[];
  outputs: { name: string; kind?: string; path?: string }[];
  error?: string;
}

export interface ReportMetricGroup {
  /** Where the numbers come from, e.g. `sample.quality`. */
  source: string;
  values: Record<string, unknown>;
}

export interface ReportChart {
  id: string;
  title: string;
  /** A Vega-Lite spec with its data inline. */
  spec: TopLevelSpec;
  /** Files written for it (relative or absolute), listed under the chart. */
  files?: string[];
}

/** One variant of a sweep (the comparison table). */
export interface SweepRow {
  label?: string;
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  durationMs: number;
  status: string;
}

export interface ReportRun {
  id: string;
  pipeline: string;
  status: string;
  startedAt: string;
  durationMs: number;
}

export interface ReportModel {
  title: string;
  run?: ReportRun;
  params: Record<string, unknown>;
  steps: ReportStep[];
  metrics: ReportMetricGroup[];
  charts: ReportChart[];
  sweep?: SweepRow[];
  /** What the cache found damaged during the run and recomputed, one sentence each. */
  repairs?: string[];
  /** The steps' warnings (`step: warning: …`), a cache hit's included. */
  warnings?: string[];
  /** Shown in the footer, e.g. `lvis-pipe 0.1.0`. */
  generator?: string;
}

/** What a run report shows besides the run itself: the `report` step's cached content. */
export interface ReportContent {
  title: string;
  charts: Chart[];
}
