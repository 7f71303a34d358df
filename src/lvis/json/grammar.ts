/**
 * The JSON grammar on raw UTF-8 bytes (src/lvis/json/ is lvis-pipe's byte-level JSON reader;
 * byte-window.ts says why it is hand-written). Every function takes the window `b`, a position
 * and the window end, and returns the position just after what it read. When it reaches the
 * end before the value does, it throws NEED_MORE; the driver refills the window and restarts
 * the record.
 */

/** Thrown by parsing functions when the window ends before the current value does. */
export const NEED_MORE: { readonly needMore: true } = Object.freeze({ needMore: true as const });

/** A JSON syntax error at `pos`, an index into the current window (not yet an absolute offset). */
export class JsonSyntaxError extends Error {
  constructor(
    readonly pos: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

/** How a byte reads in an error message. */
export function describeByte(c: number | undefined): string {
  if (c === undefined) return 'end of input';
  if (c >= 0x20 && c < 0x7f) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export const MAX_DEPTH = 512;

// ---------------------------------------------------------------------------------------------
// Grammar: every function takes the window `b`, a position and the window end, and returns the
// position just after what it read. Whitespace before a value is the caller's business.

/** Skips JSON whitespace. Throws NEED_MORE if the window ends first. */
export function skipWs(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else return p;
  }
  throw NEED_MORE;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Validates a number (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`) starting at p. */
export function skipNumber(b: Uint8Array, p: number, end: number): number {
  const start = p;
  if (p < end && b[p] === 0x2d) p++;
  if (p >= end) throw NEED_MORE;
  let c = b[p]!;
  if (c === 0x30) {
    p++;
  } else if (c >= 0x31 && c <= 0x39) {
    p++;
    while (p < end && isDigit(b[p]!)) p++;
  } else {
    const word = notJsonNumber(b, start, end);
    throw word ? new JsonSyntaxError(start, word) : new JsonSyntaxError(p, `unexpected ${describeByte(c)} in a number, expected a digit`);
  }
  if (p >= end) throw NEED_MORE;
  c = b[p]!;
  if (c === 0x2e) {
    p++;
    if (p >= end) throw NEED_MORE;
    if (!isDigit(b[p]!)) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after '.' in a number, expected a digit`);
    while (p < end && isDigit(b[p]!)) p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
  }
  if (c === 0x65 || c === 0x45) {
    p++;
    if (p >= end) throw NEED_MORE;
    if (b[p] === 0x2b || b[p] === 0x2d) p++;
    if (p >= end) throw NEED_MORE;
    if (!isDigit(b[p]!)) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in the exponent of a number, expected a digit`);
    while (p < end && isDigit(b[p]!)) p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
  }
  // A number must be followed by a delimiter; "12x" or "01" are errors here, not later.
  if (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2b || c === 0x2d) {
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after the number ${latin1(b, start, p)}`);
  }
  return p;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Validates a string starting at the opening quote p; returns the position after the closing quote. */
export function skipString(b: Uint8Array, p: number, end: number): number {
  p++;
  for (;;) {
    if (p >= end) throw NEED_MORE;
    const c = b[p]!;
    if (c === 0x22) return p + 1;
    if (c === 0x5c) {
      if (p + 1 >= end) throw NEED_MORE;
      const e = b[p + 1]!;
      if (e === 0x75) {
        if (p + 6 > end) throw NEED_MORE;
        for (let k = p + 2; k < p + 6; k++) {
          if (!isHex(b[k]!)) throw new JsonSyntaxError(k, `invalid \\u escape in a string: ${describeByte(b[k])} is not a hex digit`);
        }
        p += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        p += 2;
      } else {
        throw new JsonSyntaxError(p + 1, `invalid escape '\\${String.fromCharCode(e)}' in a string`);
      }
    } else if (c < 0x20) {
      throw new JsonSyntaxError(p, `unescaped control character (${describeByte(c)}) in a string`);
    } else {
      p++;
    }
  }
}

function skipLiteral(b: Uint8Array, p: number, end: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    if (p + k >= end) throw NEED_MORE;
    if (b[p + k] !== word.charCodeAt(k)) {
      throw new JsonSyntaxError(p, `unexpected '${latin1(b, p, p + k + 1)}', expected a JSON value (${word}?)`);
    }
  }
  return p + word.length;
}

/** Validates any JSON value starting at p (no leading whitespace); returns the position after it. */
export function skipValue(b: Uint8Array, p: number, end: number, depth = 0): number {
  if (p >= end) throw NEED_MORE;
  const c = b[p]!;
  if (c === 0x5b) return skipArray(b, p, end, depth + 1);
  if (c === 0x7b) return skipObject(b, p, end, depth + 1);
  if (c === 0x22) return skipString(b, p, end);
  if (c === 0x2d || isDigit(c)) return skipNumber(b, p, end);
  if (c === 0x74) return skipLiteral(b, p, end, 'true');
  if (c === 0x66) return skipLiteral(b, p, end, 'false');
  if (c === 0x6e) return skipLiteral(b, p, end, 'null');
  throw new JsonSyntaxError(p, notJsonNumber(b, p, end) ?? `unexpected ${describeByte(c)}, expected a JSON value`);
}

/**
 * The message for Python's bare NaN, Infinity or -Infinity at p (json.dump writes them for
 * non-finite floats; JSON has no such token), else undefined. The loaders that read a field's
 * number accept the token and then say the field is not finite; a value they skip gets this,
 * so that every reader names the token the same way.
 */
function notJsonNumber(b: Uint8Array, p: number, end: number): string | undefined {
  for (const word of ['NaN', 'Infinity', '-Infinity']) {
    if (p + word.length > end) continue;
    let k = 0;
    while (k < word.length && b[p + k] === word.charCodeAt(k)) k++;
    if (k === word.length) return `${word} is not a JSON number (Python's json.dump writes it for a non-finite float); expected a finite number`;
  }
  return undefined;
}

function skipArray(b: Uint8Array, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new JsonSyntaxError(p, `arrays and objects nested deeper than ${MAX_DEPTH} levels`);
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x5d) return p + 1;
  for (;;) {
    const c = b[p]!;
    // Polygons are long runs of numbers: keep that case out of the generic dispatch.
    p = c === 0x2d || isDigit(c) ? skipNumber(b, p, end) : skipValue(b, p, end, depth);
    p = skipWs(b, p, end);
    const d = b[p]!;
    if (d === 0x2c) {
      p = skipWs(b, p + 1, end);
    } else if (d === 0x5d) {
      return p + 1;
    } else {
      throw new JsonSyntaxError(p, `unexpected ${describeByte(d)} after an array element, expected ',' or ']'`);
    }
  }
}

function skipObject(b: Uint8Array, p: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new JsonSyntaxError(p, `arrays and objects nested deeper than ${MAX_DEPTH} levels`);
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) return p + 1;
  for (;;) {
    if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in an object, expected a '"' starting a key`);
    p = skipWs(b, skipString(b, p, end), end);
    if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after an object key, expected ':'`);
    p = skipValue(b, skipWs(b, p + 1, end), end, depth);
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

/** Bytes as a string, one character per byte (for short ASCII runs: numbers, keys, messages). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
