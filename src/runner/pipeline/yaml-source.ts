/**
 * A YAML file parsed with its source positions kept, so that any value found wrong later
 * (by the schema, by reference checks, by a step's options) can be reported as
 * `file:line:col` with its source line. Paths into the document are arrays of keys and
 * indices, the same shape as a JSON pointer split on `/`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { DiagnosticError, formatDiagnostic, type Diagnostic, type SourceLocation } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { notJsonData, notJsonMessage } from './json-data.js';

export type DocPath = readonly (string | number)[];

/** Alias expansions a pipeline may make: far more than any real file, far fewer than a bomb. */
const MAX_ALIAS_COUNT = 10_000;

/** The YAML parser's message, in words a user can act on where it is a stack overflow. */
function plainParserMessage(message: string): string {
  const first = firstLine(message);
  return /Maximum call stack size exceeded/.test(first) ? TOO_DEEP : first;
}

const TOO_DEEP = 'the document nests too deeply to read (hundreds of levels, by indentation or of [ ] or { })';

/**
 * The offsets of the `{` and `[` before `end` that no bracket closes, outermost first, outside
 * quoted strings and comments.
 */
function unclosedBrackets(text: string, end: number): number[] {
  const stack: number[] = [];
  let quote = '';
  for (let i = 0; i < end; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = text.indexOf('\n', i) < 0 ? end : text.indexOf('\n', i);
    else if (c === '{' || c === '[') stack.push(i);
    else if (c === '}' || c === ']') {
      // A closer closes its own kind: `{ y: [1, 2 }` leaves the `[` open, not the `{`.
      const k = stack.findLastIndex((at) => text[at] === (c === '}' ? '{' : '['));
      if (k >= 0) stack.splice(k, 1);
    }
  }
  return stack;
}

/** The offset of the most indented line's first non-blank character: where a too-deep document goes deepest. */
function deepestLineOffset(text: string): number {
  let best = 0;
  let bestIndent = -1;
  const re = /^([ \t-]*)\S/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1]!.length > bestIndent) {
      bestIndent = m[1]!.length;
      best = m.index + m[1]!.length;
    }
  }
  return best;
}

export class YamlSource {
  readonly file: string;
  readonly displayFile: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  private lines: string[] | undefined;
  private js: { value: unknown } | undefined;

  private constructor(file: string, text: string) {
    this.file = path.resolve(file);
    this.displayFile = displayPath(file);
    this.text = text;
    this.lineCounter = new LineCounter();
    // merge: YAML 1.1 `<<: *anchor` merge keys, so option blocks can be shared.
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, merge: true, prettyErrors: false });
  }

  /** Reads and parses a file; unreadable files and YAML syntax errors become Diagnostics. */
  static load(file: string, exitCode = 2): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder, not a file' : e.message;
      throw new DiagnosticError([{ severity: 'error', message: `cannot read ${displayPath(file)}: ${why}` }], exitCode);
    }
    let src: YamlSource;
    try {
      src = new YamlSource(file, text);
    } catch (err) {
      // The parser itself ran out of stack (thousands of levels by indentation): no node to
      // point at, so say it at the deepest line.
      if (!(err instanceof RangeError)) throw err;
      const off = deepestLineOffset(text);
      const line = text.slice(0, off).split('\n').length;
      const col = off - text.lastIndexOf('\n', off - 1);
      const location = { file: displayPath(file), line, col };
      throw new DiagnosticError([{ severity: 'error', message: `YAML syntax error: ${TOO_DEEP}`, location, sourceLine: text.split(/\r?\n/)[line - 1] }], exitCode);
    }
    // The parser says an unclosed bracket once per nesting level, all at one place (`[[[1`: three
    // times): said once.
    const seen = new Set<string>();
    const errors = src.doc.errors.map((e) => src.syntaxError(e.pos[0], e.message)).filter((d) => !seen.has(formatDiagnostic(d)) && seen.add(formatDiagnostic(d)));
    errors.push(...src.reservedKeys());
    if (errors.length) throw new DiagnosticError(errors, exitCode);
    // Aliases are expanded now, not later: a file whose aliases would blow up (a "billion
    // laughs" bomb) is an invalid pipeline at the alias's line:col, like any other mistake.
    const value = src.toJS(exitCode);
    // Values that are not JSON data (`!!binary`, `!!timestamp`, `.inf`, ...), at each one.
    const notJson = notJsonData(value).map((p) => src.diagnosticAtOffset(src.tagOffset(p.path), notJsonMessage(p)));
    if (notJson.length) throw new DiagnosticError(notJson, exitCode);
    return src;
  }

  /**
   * A parser error as a diagnostic. An unclosed `{` or `[` is found by the parser only at the
   * next entry; it is said at the innermost unclosed bracket, which is where the fix goes, with
   * every closer that is missing (`[[[1`: add `]]]`).
   */
  private syntaxError(offset: number, message: string): Diagnostic {
    const flow = /^Flow (map|sequence) in block collection must be sufficiently indented and end with a ([}\]])/.test(message);
    const open = flow ? unclosedBrackets(this.text, offset) : [];
    if (open.length) {
      const next = this.locationAtOffset(offset);
      const closers = open.map((at) => (this.text[at] === '{' ? '}' : ']')).reverse().join('');
      const add = closers.length <= 8 ? `\`${closers}\`` : `${closers.length} closing brackets (\`${closers.slice(0, 8)}…\`)`;
      const inner = open.at(-1)!;
      const others = open.length > 1 ? `, nor the ${open.length - 1} before it` : '';
      return this.diagnosticAtOffset(inner, `YAML syntax error: this \`${this.text[inner]}\` is never closed${others}: add ${add} before the next entry (line ${next.line})`);
    }
    return this.diagnosticAtOffset(offset, `YAML syntax error: ${plainParserMessage(message)}`);
  }

  /**
   * Keys named `__proto__`: JavaScript objects give the name a meaning of its own (a param so
   * named vanished, a step so named turned its fields into steps), so it is refused where written.
   */
  private reservedKeys(): Diagnostic[] {
    const found: Diagnostic[] = [];
    visit(this.doc, {
      Pair: (_, pair) => {
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          found.push(this.diagnosticAtOffset(pair.key.range?.[0] ?? 0, '`__proto__` cannot be a name here: JavaScript gives it a meaning of its own; choose another name'));
        }
      },
    });
    return found;
  }

  /**
   * The parser's warnings, as warnings at their line:col: a tag it does not know (`!!js/function`,
   * `!custom`) is dropped and the value read as plain YAML, which should not go unsaid.
   */
  warnings(): Diagnostic[] {
    return this.doc.warnings.map((w) =>
      this.diagnosticAtOffset(
        w.pos[0],
        w.code === 'TAG_RESOLVE_FAILED'
          ? `YAML tag \`${this.text.slice(w.pos[0], w.pos[1])}\` is not supported: it is ignored and the value read as plain YAML; remove the tag`
          : `YAML: ${firstLine(w.message)}`,
        'warning',
      ),
    );
  }

  static fromText(file: string, text: string): YamlSource {
    return new YamlSource(file, text);
  }

  /** The document as plain values (memoized). A file whose aliases expand too far is a Diagnostic. */
  toJS(exitCode = 2): unknown {
    if (this.js) return this.js.value;
    try {
      this.js = { value: this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
      return this.js.value;
    } catch (err) {
      if (!(err instanceof ReferenceError || err instanceof RangeError)) throw err;
      let at: number | undefined;
      visit(this.doc, { Alias: (_, node) => { at ??= node.range?.[0]; return at === undefined ? undefined : visit.BREAK; } });
      const why =
        err instanceof RangeError
          ? 'the document nests too deeply to read'
          : `its aliases (*name) expand to more than ${MAX_ALIAS_COUNT.toLocaleString('en-US')} nodes, a resource-exhaustion ("billion laughs") pattern`;
      throw new DiagnosticError([this.diagnosticAtOffset(at ?? 0, `YAML: ${why}; lvis-pipe refuses it. Repeat the values, or use fewer nested aliases`)], exitCode);
    }
  }

  sourceLine(line: number): string | undefined {
    this.lines ??= this.text.split(/\r?\n/);
    return this.lines[line - 1];
  }

  locationAtOffset(offset: number): SourceLocation {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.displayFile, line, col };
  }

  diagnosticAtOffset(offset: number, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const location = this.locationAtOffset(offset);
    return { severity, message, location, sourceLine: this.sourceLine(location.line!) };
  }

  /**
   * The YAML node at `docPath` (its key node with `part: 'key'`). When the path cannot be
   * followed all the way (a merged key, a value filled in by a default), the deepest node
   * found is returned, which is still the best place to point at.
   */
  nodeAt(docPath: DocPath, part: 'key' | 'value' = 'value'): YamlNode | undefined {
    let node: unknown = this.doc.contents;
    let keyNode: unknown;
    for (const seg of docPath) {
      node = this.deref(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
        if (!pair) return (keyNode as YamlNode | undefined) ?? (node as YamlNode);
        keyNode = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        keyNode = node.items[seg];
        node = node.items[seg];
      } else {
        return (node as YamlNode | undefined) ?? (keyNode as YamlNode | undefined);
      }
    }
    if (part === 'key' && keyNode) return keyNode as YamlNode;
    return node as YamlNode;
  }

  /**
   * Where the value at `docPath` starts, its tag included (`!!binary aGVs`: at the `!`, which is
   * what to remove), or where the value starts when it has no tag.
   */
  tagOffset(docPath: DocPath): number {
    const node = this.nodeAt(docPath);
    const start = node?.range?.[0] ?? 0;
    const tag = node && 'tag' in node && node.tag ? /!\S*[ \t]+$/.exec(this.text.slice(Math.max(0, start - 200), start)) : null;
    return tag ? start - tag[0].length : start;
  }

  /** Location of the node at `docPath` (falls back to the start of the file). */
  locate(docPath: DocPath, part: 'key' | 'value' = 'value'): SourceLocation {
    const node = this.nodeAt(docPath, part);
    const offset = node?.range?.[0] ?? 0;
    return this.locationAtOffset(offset);
  }

  diagnosticAt(docPath: DocPath, message: string, part: 'key' | 'value' = 'value', severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const location = this.locate(docPath, part);
    return { severity, message, location, sourceLine: this.sourceLine(location.line!) };
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  if (typeof key === 'string') return key;
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}

/** Splits an ajv instancePath (`/steps/a~1b/options/x`) into a DocPath. */
export function pointerToPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
