/**
 * The one error type users see. Anything a user can fix (a bad pipeline file, a bad
 * record in a data file, an unknown --set name) is reported as one or more Diagnostics,
 * printed as `file:line:col: message` with the offending source line, and never with a
 * stack trace. Any other exception is a bug and is printed with its stack.
 */
export interface SourceLocation {
  /** Path of the file, as the user would type it (relative to cwd where possible). */
  file: string;
  /** A zip archive's member the text is in (line, col and offset are then the member's). */
  member?: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  col?: number;
  /** 0-based byte offset into the (decompressed) file, when known. */
  offset?: number;
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  location?: SourceLocation;
  /** The text of the offending line, shown under the message with a caret at `col`. */
  sourceLine?: string;
}

/** Thrown for user mistakes; carries every diagnostic found, not just the first. */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  /** Process exit status for this kind of failure (2 = invalid pipeline, 1 = bad data). */
  readonly exitCode: number;
  constructor(diagnostics: Diagnostic[], exitCode = 1) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'DiagnosticError';
    this.diagnostics = diagnostics;
    this.exitCode = exitCode;
  }
}

export function formatLocation(loc: SourceLocation): string {
  // A zip's member as a path inside the archive, as zip tools name it (`lvis.json.zip/lvis.json`).
  let s = loc.member !== undefined ? `${loc.file}/${loc.member}` : loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.col !== undefined) s += `:${loc.col}`;
  }
  if (loc.offset !== undefined) s += ` (byte ${loc.offset})`;
  return s;
}

export function formatDiagnostic(d: Diagnostic): string {
  const head = d.location ? `${formatLocation(d.location)}: ` : '';
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  let out = `${head}${sev}${d.message}`;
  if (d.sourceLine !== undefined) {
    const line = d.sourceLine.length > 200 ? d.sourceLine.slice(0, 200) + '…' : d.sourceLine;
    out += `\n    ${line}`;
    if (d.location?.col !== undefined && d.location.col <= 200) {
      out += `\n    ${' '.repeat(Math.max(0, d.location.col - 1))}^`;
    }
  }
  return out;
}
