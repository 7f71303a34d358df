/**
 * From a byte offset to line:col and the text around it, for error messages only: the hot
 * path never counts lines.
 */
import { type Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { printableName } from '../source/source-error.js';
import { ByteWindow } from './byte-window.js';

export interface TextPosition {
  /** 1-based line and column (column in characters). */
  line: number;
  col: number;
  /** Up to ~60 characters either side of the offset, on the same line. */
  before: string;
  after: string;
  /** The whole line, when it is short enough to show. */
  lineText?: string;
  /** The zip member the text is in (zip files only). */
  member?: string;
}

const CONTEXT_CHARS = 60;
const CONTEXT_BYTES = CONTEXT_CHARS * 4;

/**
 * Line, column and surrounding text of each byte offset of the decompressed text of `path`, in
 * one more streaming pass made only when errors are reported: the hot path never counts lines.
 */
export async function locateOffsets(path: string, offsets: number[]): Promise<Map<number, TextPosition>> {
  const targets = [...new Set(offsets)].sort((x, y) => x - y);
  const found = new Map<number, TextPosition>();
  if (targets.length === 0) return found;
  let line = 1;
  let lineStart = 0;
  let colChars = 0;
  let tail = Buffer.alloc(0); // the bytes of the current line before the cursor (its last CONTEXT_BYTES)
  const open: { offset: number; line: number; col: number; lineStart: number; before: Buffer; after: Buffer[]; afterLen: number; ended: boolean }[] = [];
  const w = await ByteWindow.open(path, 1 << 20);
  let next = 0;
  const finish = (o: (typeof open)[number]) => {
    const after = Buffer.concat(o.after);
    const pos: TextPosition = {
      line: o.line,
      col: o.col,
      before: trimToChars(o.before.toString('utf8'), CONTEXT_CHARS, true),
      after: trimToChars(after.toString('utf8'), CONTEXT_CHARS, false),
    };
    if (o.offset - o.lineStart === o.before.length && o.ended && o.col <= 200) pos.lineText = o.before.toString('utf8') + after.toString('utf8');
    if (w.member !== undefined) pos.member = w.member;
    found.set(o.offset, pos);
  };
  try {
    for (;;) {
      const first = await w.refill(w.len);
      const { buf, base, len } = w;
      // Text after earlier offsets, up to the end of their line.
      for (const o of open) {
        if (o.ended) continue;
        const want = CONTEXT_BYTES - o.afterLen;
        let stop = Math.min(len, first + want);
        const nl = buf.indexOf(0x0a, first);
        if (nl >= 0 && nl < stop) {
          stop = nl;
          o.ended = true;
        }
        o.after.push(Buffer.from(buf.subarray(first, stop)));
        o.afterLen += stop - first;
      }
      let i = first;
      const advance = (to: number) => {
        let from = i;
        let sawNewline = false;
        for (;;) {
          const nl = buf.indexOf(0x0a, from);
          if (nl < 0 || nl >= to) break;
          line++;
          lineStart = base + nl + 1;
          from = nl + 1;
          sawNewline = true;
        }
        if (sawNewline) colChars = 0;
        for (let k = from; k < to; k++) if ((buf[k]! & 0xc0) !== 0x80) colChars++;
        const piece = buf.subarray(Math.max(from, to - CONTEXT_BYTES), to);
        tail = sawNewline ? Buffer.from(piece) : Buffer.concat([tail, piece]);
        if (tail.length > CONTEXT_BYTES) tail = tail.subarray(tail.length - CONTEXT_BYTES);
        i = to;
      };
      while (next < targets.length && targets[next]! <= base + len) {
        const t = targets[next++]!;
        if (t >= base + len && !w.eof) {
          next--;
          break;
        }
        advance(t - base);
        const o = { offset: t, line, col: colChars + 1, lineStart, before: Buffer.from(tail), after: [] as Buffer[], afterLen: 0, ended: false };
        let stop = Math.min(len, i + CONTEXT_BYTES);
        const nl = buf.indexOf(0x0a, i);
        if (nl >= 0 && nl < stop) {
          stop = nl;
          o.ended = true;
        }
        o.after.push(Buffer.from(buf.subarray(i, stop)));
        o.afterLen = stop - i;
        open.push(o);
      }
      advance(len);
      for (let k = open.length - 1; k >= 0; k--) {
        const o = open[k]!;
        if (o.ended || o.afterLen >= CONTEXT_BYTES || w.eof) {
          if (w.eof) o.ended = true;
          finish(o);
          open.splice(k, 1);
        }
      }
      if (w.eof || (next >= targets.length && open.length === 0)) break;
    }
  } finally {
    await w.close();
  }
  for (const o of open) finish(o);
  // Offsets past the end of the text (a truncated file): the end of the last line.
  for (const t of targets) {
    if (!found.has(t)) found.set(t, { line, col: colChars + 1, before: trimToChars(tail.toString('utf8'), CONTEXT_CHARS, true), after: '', ...(w.member !== undefined ? { member: w.member } : {}) });
  }
  return found;
}

/** Line and column of one offset; see locateOffsets. */
export async function locateOffset(path: string, offset: number): Promise<TextPosition> {
  return (await locateOffsets(path, [offset])).get(offset)!;
}

function trimToChars(s: string, n: number, fromEnd: boolean): string {
  const chars = Array.from(s.replace(/\uFFFD/g, ''));
  if (chars.length <= n) return chars.join('');
  return fromEnd ? '…' + chars.slice(chars.length - n).join('') : chars.slice(0, n).join('') + '…';
}

/** A Diagnostic for byte `offset` of `path`, given its position (from locateOffsets). */
export function diagnosticWithPosition(path: string, offset: number, pos: TextPosition, message: string): Diagnostic {
  const d: Diagnostic = {
    severity: 'error',
    message,
    location: { file: displayPath(path), ...(pos.member !== undefined ? { member: printableName(pos.member) } : {}), line: pos.line, col: pos.col, offset },
  };
  if (pos.lineText !== undefined) d.sourceLine = pos.lineText;
  else d.message += `\n    near: ${pos.before}⟨here⟩${pos.after}`;
  return d;
}

/** A Diagnostic for an error at byte `offset` of `path`, with line:col and the text around it. */
export async function diagnosticAt(path: string, offset: number, message: string): Promise<Diagnostic> {
  return diagnosticWithPosition(path, offset, await locateOffset(path, offset), message);
}
