/** What a run says of each step and of each output it made: the payload of run events, sweep rows and reporters. */
import type { StepStatus } from '../cache/records.js';

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
}
