/** The one way the source layer reports a problem with an input file: a Diagnostic at the file (and member). */
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';

/** A zip member's name as it may be shown: control characters escaped (`\x1b`), never sent to the terminal. */
export function printableName(name: string): string {
  return name.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A DiagnosticError at `path` (a zip's `member`, and a text offset, when known). */
export function sourceError(path: string, message: string, at: { offset?: number; member?: string } = {}): DiagnosticError {
  return new DiagnosticError([
    {
      severity: 'error',
      message,
      location: { file: displayPath(path), ...(at.member !== undefined ? { member: printableName(at.member) } : {}), ...(at.offset !== undefined ? { offset: at.offset } : {}) },
    },
  ]);
}
