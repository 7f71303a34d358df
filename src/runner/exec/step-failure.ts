/** A step's failure: a user mistake (diagnostics), an interruption, or anything else (a bug), and how a run says it. */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { sizeNeeded } from '../../base/fs-problems.js';
import { cacheWriteError } from '../cache/cache-problems.js';
import type { EventSink } from './events.js';
import type { StepSummary } from './summary.js';

/** Error of a step: a user mistake (diagnostics) or anything else (a bug). */
export class StepFailure extends Error {
  constructor(
    readonly diagnostics: Diagnostic[] | undefined,
    readonly original: unknown,
    readonly interrupted: boolean,
  ) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/**
 * What executing step `stepId` threw, as a StepFailure: a DiagnosticError, or results that did
 * not fit in the cache folder `storeRoot` (full, read-only), are the user's to fix; anything
 * else is a bug.
 */
export function asStepFailure(err: unknown, storeRoot: string, stepId: string, aborted: boolean): StepFailure {
  if (err instanceof StepFailure) return err;
  const user = err instanceof DiagnosticError ? err : cacheWriteError(err, storeRoot, `step \`${stepId}\` was writing its results`, sizeNeeded(err));
  return new StepFailure(user?.diagnostics, err, aborted);
}

/** Marks `summary` failed (or interrupted) by `err` and emits the step-failed event. */
export function stepFailed(emit: EventSink, summary: StepSummary, base: { runId: string; label?: string }, err: unknown, durationMs: number, aborted: boolean): void {
  const f = err instanceof StepFailure ? err : new StepFailure(err instanceof DiagnosticError ? err.diagnostics : undefined, err, aborted);
  summary.status = f.interrupted ? 'interrupted' : 'failed';
  summary.durationMs = durationMs;
  summary.error = f.interrupted ? 'interrupted' : f.diagnostics ? f.diagnostics.map((d) => d.message).join('; ') : f.message;
  const orig = f.original;
  emit({
    type: 'step-failed',
    ...base,
    stepId: summary.id,
    stepType: summary.type,
    key: summary.key,
    durationMs,
    interrupted: f.interrupted,
    ...(f.diagnostics ? { diagnostics: f.diagnostics } : { error: { message: orig instanceof Error ? orig.message : String(orig), ...(orig instanceof Error && orig.stack ? { stack: orig.stack } : {}) } }),
  });
}
