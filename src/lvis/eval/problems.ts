/**
 * The evaluator's only link to the runner: bad input becomes a DiagnosticError (printed
 * without a stack). Kept in this one file so that moving the evaluator means fixing one
 * import path.
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';

/** Bad records listed one by one in an error, before "… and N more". */
export const MAX_REPORTED = 10;

/**
 * One bad record. `index` is its 0-based position in its list (for detections: in the
 * results file), so that a caller that knows byte offsets can locate it.
 */
export interface InputProblem {
  kind: 'detection' | 'annotation' | 'image' | 'category';
  index: number;
  message: string;
}

/** Collects problems, keeping the first MAX_REPORTED and counting the rest. */
export class ProblemList {
  readonly listed: InputProblem[] = [];
  total = 0;

  add(problem: InputProblem): void {
    if (this.listed.length < MAX_REPORTED) this.listed.push(problem);
    this.total++;
  }

  /**
   * A DiagnosticError with every listed problem (exit code 1: bad data), without a location:
   * a caller that knows where each record is can build its own from `listed` instead.
   */
  toError(): DiagnosticError {
    const diagnostics: Diagnostic[] = this.listed.map((p) => ({ severity: 'error', message: `${p.kind} #${p.index}: ${p.message}` }));
    if (this.total > this.listed.length) {
      diagnostics.push({ severity: 'error', message: `… and ${this.total - this.listed.length} more bad record(s) (${this.total} in all)` });
    }
    return new DiagnosticError(diagnostics);
  }

  throwIfAny(): void {
    if (this.total > 0) throw this.toError();
  }
}
