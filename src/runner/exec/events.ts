/**
 * Everything a run reports, as one typed union. The executor emits these; reporters
 * (TTY, plain, JSON lines, quiet) render them. Every step event names the run it belongs
 * to, so several pipeline variants can share one process and one reporter.
 */
import type { Diagnostic } from '../../base/diagnostic.js';
import type { OutputSummary, StepSummary } from './summary.js';
import type { SweepReport } from '../sweep/report.js';

interface Base {
  runId: string;
  /** A variant label when several variants share a process (a sweep). */
  label?: string;
}

export type RunEvent =
  | (Base & { type: 'run-start'; pipeline: string; params: Record<string, unknown>; steps: { id: string; type: string }[]; jobs: number })
  | (Base & { type: 'hashing'; file: string; size: number })
  | (Base & { type: 'step-start'; stepId: string; stepType: string; key: string; reasons: string[]; worker: boolean; shared: boolean })
  | (Base & {
      type: 'step-cached';
      stepId: string;
      stepType: string;
      key: string;
      restored: string[];
      outputs: OutputSummary[];
      /** Set when the hit was found by input content (early cutoff): why the plain key missed, and that. */
      reasons?: string[];
    })
  | (Base & { type: 'step-progress'; stepId: string; label: string; done: number; total: number; unit?: string; detail?: string })
  | (Base & { type: 'step-log'; stepId: string; message: string })
  | (Base & { type: 'step-finish'; stepId: string; stepType: string; key: string; durationMs: number; outputs: OutputSummary[] })
  | (Base & {
      type: 'step-failed';
      stepId: string;
      stepType: string;
      key: string;
      durationMs: number;
      /** A user mistake (DiagnosticError): shown without a stack. */
      diagnostics?: Diagnostic[];
      /** A bug or an unexpected error: message and stack. */
      error?: { message: string; stack?: string };
      interrupted: boolean;
    })
  | (Base & { type: 'step-skipped'; stepId: string; stepType: string; reason: string })
  | (Base & { type: 'run-finish'; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; steps: StepSummary[]; historyFile?: string })
  | { type: 'sweep-start'; sweepId: string; pipeline: string; variants: { name: string; params: Record<string, unknown> }[]; jobs: number; outDir: string }
  | { type: 'sweep-finish'; sweepId: string; status: 'ok' | 'failed' | 'interrupted'; durationMs: number; result: SweepReport }
  | { type: 'notice'; runId?: string; message: string }
  | { type: 'diagnostics'; diagnostics: Diagnostic[]; exitCode: number };

export type EventSink = (e: RunEvent) => void;
