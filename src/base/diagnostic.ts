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
  // A file or member name can hold control characters (`bad\x1b[2J.yaml`): shown escaped.
  let s = escapeControls(loc.member !== undefined ? `${loc.file}/${loc.member}` : loc.file);
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
  let out = `${head}${sev}${escapeControls(d.message)}`;
  if (d.sourceLine !== undefined) {
    const shown = escapeControls(d.sourceLine);
    const line = shown.length > 200 ? shown.slice(0, 200) + '…' : shown;
    out += `\n    ${line}`;
    if (d.location?.col !== undefined && d.location.col <= 200) {
      out += `\n    ${' '.repeat(Math.max(0, d.location.col - 1))}^`;
    }
  }
  return out;
}

/**
 * `s` with the characters that drive a terminal shown as escapes (`\x1b`, `\x07`, `\u202e`):
 * C0 controls but newline and tab, DEL, C1 controls, and the bidirectional overrides. Text that
 * comes from a data file (a record near an error, a category name in a log line) can hold
 * them; printed raw, `ESC[2J` clears the user's screen and `ESC]0;…BEL` sets the window title.
 */
export function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
