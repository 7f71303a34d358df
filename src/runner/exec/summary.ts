/** What a run says of each step and of each output it made: the payload of run events, sweep rows and reporters. */
import type { RunRecord, StepStatus } from '../cache/records.js';
import type { ResolvedStep } from '../pipeline/types.js';

export interface OutputSummary {
  name: string;
  kind: string;
  storage: 'value' | 'file';
  digest: string;
  size: number;
  /** Where the file was materialized (absolute), for outputs with a path option. */
  path?: string;
  /** Values of a `metrics: true` output. */
  metrics?: Record<string, unknown>;
}

export interface StepSummary {
  id: string;
  type: string;
  key: string;
  status: StepStatus;
  durationMs: number;
  outputs: OutputSummary[];
  /** Why it ran (plan reasons), or why it was skipped. */
  reasons: string[];
  error?: string;
  worker?: boolean;
  /** Ran once for several pipelines (sweep variants) in this process, in another one's run. */
  shared?: boolean;
  /** Its log lines that start with `warning:` (from its run record: a cache hit has them too). */
  warnings?: string[];
}

/** A step's results from its run record: its outputs, and the warnings its run logged. */
export function fillFromRecord(summary: StepSummary, step: ResolvedStep, record: RunRecord): void {
  summary.outputs = outputSummaries(step, record);
  const warnings = record.logs.filter((l) => /^warning:/i.test(l));
  if (warnings.length) summary.warnings = warnings;
}

/** What a run says of a step's outputs: each stored output, where it was written, its metrics. */
export function outputSummaries(step: ResolvedStep, record: RunRecord): OutputSummary[] {
  return Object.entries(record.outputs).map(([name, o]) => ({
    name,
    kind: o.kind,
    storage: o.storage,
    digest: o.digest,
    size: o.size,
    ...(step.outputPaths[name] ? { path: step.outputPaths[name] } : {}),
    ...(record.metrics?.[name] !== undefined ? { metrics: record.metrics[name] as Record<string, unknown> } : {}),
  }));
}
