/**
 * Skipping values the pipeline never reads (segmentation polygons, RLE counts) without
 * visiting their bytes one by one in JS.
 */
import { JsonSyntaxError, MAX_DEPTH, NEED_MORE, describeByte, isDigit, skipString, skipValue, skipWs } from './grammar.js';

//
// Measured on LVIS-shaped text (BENCHMARKS.md, "load"): a JS loop that looks at every byte
// tops out at ~110 MB/s when it checks the number grammar and ~400 MB/s when it does nothing
// but a table lookup, while Buffer.indexOf finds a byte at several GB/s. Python's json.load
// reads the same text at ~20 MB/s, and the load step must be 20x faster, so the bytes of
// segmentation polygons (80-90% of LVIS) cannot be visited one by one in JS. The fast skip
// therefore trusts two things it does not check byte by byte:
//  - an array whose first element is a number holds only numbers up to the first ']' after it
//    (true of polygons, bboxes, sizes); the byte before that ']' must still end a number;
//  - a string without a backslash ends at the next '"' (control characters are not checked).
// Everything else (objects, keys, nesting, strings with escapes) is checked as strictly as
// skipValue does. If a file breaks those assumptions, the structure stops adding up and a syntax
// error follows; callers then re-read in strict mode (skipValue), which either finds the exact
// error or accepts the file (valid JSON that mixes numbers with other values in an array).

let bsBuf: Uint8Array | undefined;
let bsFrom = 0;
let bsNext = -1;

/** Forgets the cached backslash position: call whenever the bytes of a window change. */
export function resetScanCache(): void {
  bsBuf = undefined;
}

/**
 * Position of the first backslash at or after `from` (-1 if none), amortised over a window:
 * searching anew for every string would scan to the end of the window each time when a file
 * has no backslash at all (the usual case), which is quadratic. Shared by every scanner; call
 * resetScanCache() when a window's bytes change.
 */
export function nextBackslash(b: Buffer, from: number): number {
  if (b !== bsBuf || from < bsFrom || (bsNext !== -1 && bsNext < from)) {
    bsBuf = b;
    bsFrom = from;
    bsNext = b.indexOf(0x5c, from);
  }
  return bsNext;
}

/** skipString without looking at each byte, unless the string has escapes. */
export function skipStringFast(b: Buffer, p: number, end: number): number {
  const q = b.indexOf(0x22, p + 1);
  if (q < 0 || q >= end) throw NEED_MORE;
  const bs = nextBackslash(b, p + 1);
  if (bs !== -1 && bs < q) return skipString(b, p, end);
  return q + 1;
}

/** skipValue for values the caller does not read; see the note above for what it trusts. */
export function skipValueFast(b: Buffer, p: number, end: number, depth = 0): number {
  if (p >= end) throw NEED_MORE;
  const c = b[p]!;
  if (c === 0x5b) return skipArrayFast(b, p, end, depth + 1);
  if (c === 0x7b) return skipObjectFast(b, p, end, depth + 1);
  if (c === 0x22) return skipStringFast(b, p, end);
  return skipValue(b, p, end, depth);
}

function skipArrayFast(b: Buffer, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new JsonSyntaxError(p, `arrays and objects nested deeper than ${MAX_DEPTH} levels`);
  p = skipWs(b, p + 1, end);
  let c = b[p]!;
  if (c === 0x5d) return p + 1;
  if (c === 0x2d || isDigit(c)) {
    const q = b.indexOf(0x5d, p);
    if (q < 0 || q >= end) throw NEED_MORE;
    const last = b[q - 1]!;
    if (!isDigit(last) && last !== 0x20 && last !== 0x0a && last !== 0x0d && last !== 0x09) {
      throw new JsonSyntaxError(q - 1, `unexpected ${describeByte(last)} in an array of numbers`);
    }
    return q + 1;
  }
  for (;;) {
    p = skipValueFast(b, p, end, depth);
    p = skipWs(b, p, end);
    c = b[p]!;
    if (c === 0x2c) {
      p = skipWs(b, p + 1, end);
    } else if (c === 0x5d) {
      return p + 1;
    } else {
      throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after an array element, expected ',' or ']'`);
    }
  }
}

function skipObjectFast(b: Buffer, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new JsonSyntaxError(p, `arrays and objects nested deeper than ${MAX_DEPTH} levels`);
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) return p + 1;
  for (;;) {
    if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in an object, expected a '"' starting a key`);
    p = skipWs(b, skipStringFast(b, p, end), end);
    if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after an object key, expected ':'`);
    p = skipValueFast(b, skipWs(b, p + 1, end), end, depth);
    p = skipWs(b, p, end);
    const d = b[p]!;
    if (d === 0x2c) {
      p = skipWs(b, p + 1, end);
    } else if (d === 0x7d) {
      return p + 1;
    } else {
      throw new JsonSyntaxError(p, `unexpected ${describeByte(d)} after an object member, expected ',' or '}'`);
    }
  }
}

/** skipValueFast, re-checked strictly when the fast pass finds an error (see "Fast skipping"). */
export function skipElement(b: Buffer, p: number, end: number): number {
  try {
    return skipValueFast(b, p, end);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return skipValue(b, p, end);
    throw err;
  }
}
