/**
 * A byte-level JSON scanner for files far larger than a V8 string (the 1 GB LVIS train file).
 *
 * Why hand-written (figures in BENCHMARKS.md, "load", measured on the first 50 MB of the
 * synthetic LVIS train annotations): stream-json (v3) is the right tool for small documents, but
 * on LVIS-shaped data its tokenizer emits a token for every number of every segmentation polygon
 * and runs at ~4.5 MB/s, ~3.4 MB/s when it also assembles each annotation object: minutes for
 * LVIS train, slower than Python's json.load (~11–20 MB/s here), which `load` must beat 20x.
 * Downstream steps need a handful of fields per record plus the record's byte range, so this
 * module walks the UTF-8 bytes directly: it checks the JSON grammar (numbers, strings, escapes,
 * commas, nesting) while skipping values it does not need without building strings or numbers
 * for them, and it never materialises more than one record at a time. Even a JS loop that only
 * tracks depth and strings tops out at ~100–400 MB/s on this machine, so the polygons (80–90% of
 * the bytes) are skipped with Buffer.indexOf instead of byte by byte (see "Fast skipping").
 * Every syntax error is reported with its exact byte offset; line:col is computed lazily, only
 * when an error is reported.
 *
 * Parsing functions here work on a window (`buf[0 .. end)`) of the decompressed text. When a
 * function reaches `end` before the value it is reading is complete it throws `NEED_MORE`; the
 * driver then refills the window, keeping the bytes from the start of the current record, and
 * restarts that record. Records are small compared with the window, so restarts are rare.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';

// ---------------------------------------------------------------------------------------------
// Errors

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

const MAX_DEPTH = 512;

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

function isDigit(c: number): boolean {
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
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} in a number, expected a digit`);
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
  throw new JsonSyntaxError(p, `unexpected ${describeByte(c)}, expected a JSON value`);
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

// ---------------------------------------------------------------------------------------------
// Fast skipping, for the values the pipeline never reads (segmentation polygons, RLE counts).
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

// ---------------------------------------------------------------------------------------------
// Values the loader needs: numbers and keys, read without building intermediate strings.

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Position just after the number read by the last `readNumber` call. */
export let numberEnd = 0;

/**
 * Reads and validates the number at p; its end goes to `numberEnd`. The result is the same
 * double JSON.parse gives: mantissas below 2^53 with a decimal exponent within ±22 are exact
 * (one correctly rounded multiplication or division, Clinger's fast path); anything else goes
 * through the engine's own conversion.
 */
export function readNumber(b: Uint8Array, p: number, end: number): number {
  const start = p;
  let neg = false;
  if (p < end && b[p] === 0x2d) {
    neg = true;
    p++;
  }
  if (p >= end) throw NEED_MORE;
  let c = b[p]!;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let exp = 0;
  if (c === 0x30) {
    p++;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      m = m * 10 + (c - 0x30);
      digits++;
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
  } else {
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} in a number, expected a digit`);
  }
  if (p >= end) throw NEED_MORE;
  c = b[p]!;
  if (c === 0x2e) {
    p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    if (!isDigit(c)) throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after '.' in a number, expected a digit`);
    do {
      m = m * 10 + (c - 0x30);
      digits++;
      scale++;
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
  }
  if (c === 0x65 || c === 0x45) {
    p++;
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    let eneg = false;
    if (c === 0x2b || c === 0x2d) {
      eneg = c === 0x2d;
      p++;
      if (p >= end) throw NEED_MORE;
      c = b[p]!;
    }
    if (!isDigit(c)) throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} in the exponent of a number, expected a digit`);
    do {
      if (exp < 100000) exp = exp * 10 + (c - 0x30);
      p++;
    } while (p < end && (c = b[p]!) >= 0x30 && c <= 0x39);
    if (p >= end) throw NEED_MORE;
    c = b[p]!;
    if (eneg) exp = -exp;
  }
  if (isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2b || c === 0x2d) {
    throw new JsonSyntaxError(p, `unexpected ${describeByte(c)} after the number ${latin1(b, start, p)}`);
  }
  numberEnd = p;
  if (digits <= 15) {
    const e10 = exp - scale;
    if (e10 === 0) return neg ? -m : m;
    if (e10 < 0 && e10 >= -22) return neg ? -(m / POW10[-e10]!) : m / POW10[-e10]!;
    if (e10 > 0 && e10 <= 22) return neg ? -(m * POW10[e10]!) : m * POW10[e10]!;
  }
  return Number(latin1(b, start, p));
}

/** True when the bytes of key (a plain ASCII name) equal b[start .. end). */
export function bytesEqual(b: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (b[start + i] !== key[i]) return false;
  return true;
}

/**
 * Reads the string at p (the opening quote) and returns its decoded text. Used for keys of the
 * top-level object and category names; record keys are compared as bytes instead.
 */
export function readString(b: Uint8Array, p: number, end: number): string {
  const stop = skipString(b, p, end);
  numberEnd = stop;
  let plain = true;
  for (let i = p + 1; i < stop - 1; i++) {
    const c = b[i]!;
    if (c === 0x5c || c >= 0x80) {
      plain = false;
      break;
    }
  }
  if (plain) return latin1(b, p + 1, stop - 1);
  return JSON.parse(Buffer.from(b.buffer, b.byteOffset + p, stop - p).toString('utf8')) as string;
}

// ---------------------------------------------------------------------------------------------
// Reading a file (plain or gzip) through a sliding window.

const GZIP_MAGIC = [0x1f, 0x8b];

/** Whether the file at `path` is gzip-compressed (by its first two bytes, whatever its name). */
export async function isGzipFile(path: string): Promise<boolean> {
  const fh = await fsp.open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await fh.close();
  }
}

/**
 * A window over the decompressed text of a file: `buf[start .. len)` holds the text from
 * absolute offset `base + start` (`base` is the absolute offset of `buf[0]`).
 *
 * `refill(keepFrom)` keeps `buf[keepFrom .. len)` and appends more text after it, returning the
 * kept bytes' new index. Plain files are read ahead: while the caller parses one buffer, the
 * next chunk is already being read (on libuv's thread pool) into a second buffer, just after a
 * reserved front area; on refill the few kept bytes of an unfinished record are copied into
 * that front area and the buffers swap, so reading costs the parsing thread nothing. A record
 * larger than the front area (rare: a huge `info` member) moves to a bigger one-off buffer.
 */
export class ByteWindow {
  buf: Buffer;
  len = 0;
  base = 0;
  eof = false;
  /** Bytes of the file on disk read so far, and its size (compressed sizes for gzip). */
  diskBytesRead = 0;
  readonly diskBytes: number;
  readonly gzip: boolean;
  private fh: FileHandle | undefined;
  private gz: AsyncIterator<Buffer> | undefined;
  private gzStream: Gunzip | undefined;
  private src: ReturnType<typeof createReadStream> | undefined;
  private pending: Buffer | undefined;
  /** Plain files: the other buffer, the read in flight into it, and the file position after it. */
  private spare: Buffer | undefined;
  private ahead: Promise<number> | undefined;
  private filePos = 0;
  private readonly chunk: number;
  private readonly reserve: number;

  private constructor(
    readonly path: string,
    fh: FileHandle,
    size: number,
    gzip: boolean,
    windowBytes: number,
  ) {
    this.fh = fh;
    this.diskBytes = size;
    this.gzip = gzip;
    this.chunk = Math.max(16, windowBytes);
    this.reserve = Math.max(16, Math.min(1 << 20, this.chunk >> 3));
    this.buf = Buffer.allocUnsafe(this.reserve + this.chunk);
  }

  /**
   * Opens `path`; gzip is recognised by its magic bytes, whatever the file is called. A plain
   * file can be read from `startOffset` on.
   */
  static async open(path: string, windowBytes = 8 << 20, startOffset = 0): Promise<ByteWindow> {
    let fh: FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch (err) {
      throw new DiagnosticError([{ severity: 'error', message: `cannot read ${displayPath(path)}: ${(err as Error).message}` }]);
    }
    let size: number;
    let gzip: boolean;
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new Error(st.isDirectory() ? 'it is a folder, not a file' : 'it is not a regular file');
      size = st.size;
      const head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
      gzip = size >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
      if (gzip && startOffset !== 0) throw new Error('ByteWindow: a gzip file can only be read from its start'); // a bug: callers check
    } catch (err) {
      await fh.close();
      if ((err as Error).message.startsWith('ByteWindow:')) throw err;
      throw new DiagnosticError([{ severity: 'error', message: `cannot read ${displayPath(path)}: ${(err as Error).message}` }]);
    }
    const w = new ByteWindow(path, fh, size, gzip, windowBytes);
    if (startOffset !== 0) w.base = w.filePos = w.diskBytesRead = startOffset;
    if (gzip) {
      await fh.close();
      w.fh = undefined;
      w.src = createReadStream(path, { highWaterMark: 1 << 20 });
      const gunzip = createGunzip({ chunkSize: 1 << 20 });
      w.gzStream = gunzip;
      pipeline(w.src, gunzip, () => {});
      w.gz = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    }
    return w;
  }

  /** Keeps `buf[keepFrom .. len)` and reads more text after it; returns the kept bytes' new index. */
  async refill(keepFrom: number): Promise<number> {
    resetScanCache();
    if (this.gzip) {
      this.keepAtFront(keepFrom, 0);
      await this.readGzip();
      return 0;
    }
    const keep = this.len - keepFrom;
    const absKeep = this.base + keepFrom;
    if (!this.ahead) this.ahead = this.readAhead(this.spareFor(this.chunk));
    const n = await this.ahead;
    this.ahead = undefined;
    const next = this.spare!;
    let start: number;
    if (keep <= this.reserve) {
      start = this.reserve - keep;
      this.buf.copy(next, start, keepFrom, this.len);
      this.spare = this.buf;
      this.buf = next;
      this.len = this.reserve + n;
    } else {
      // A long record: one buffer holding the kept bytes and the chunk just read.
      const big = Buffer.allocUnsafe(keep + n);
      this.buf.copy(big, 0, keepFrom, this.len);
      next.copy(big, keep, this.reserve, this.reserve + n);
      this.spare = next;
      this.buf = big;
      start = 0;
      this.len = keep + n;
    }
    this.base = absKeep - start;
    if (n === 0) this.eof = true;
    else this.ahead = this.readAhead(this.spare);
    return start;
  }

  private spareFor(size: number): Buffer {
    if (!this.spare || this.spare.length < this.reserve + size) this.spare = Buffer.allocUnsafe(this.reserve + size);
    return this.spare;
  }

  /** Reads the next chunk of the file into `into[reserve ..]`; resolves to the byte count. */
  private async readAhead(into: Buffer): Promise<number> {
    const fh = this.fh!;
    let n = 0;
    while (n < this.chunk) {
      const { bytesRead } = await fh.read(into, this.reserve + n, this.chunk - n, this.filePos);
      if (bytesRead === 0) break;
      n += bytesRead;
      this.filePos += bytesRead;
    }
    this.diskBytesRead = this.filePos;
    return n;
  }

  /** Gzip: moves `buf[keepFrom .. len)` to `buf[0 ..]`, growing the buffer if the kept part fills half of it. */
  private keepAtFront(keepFrom: number, _unused: number): void {
    const keep = this.len - keepFrom;
    if (keep > this.buf.length / 2) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, keepFrom, this.len);
      this.buf = bigger;
    } else if (keepFrom > 0 && keep > 0) {
      this.buf.copy(this.buf, 0, keepFrom, this.len);
    }
    this.base += keepFrom;
    this.len = keep;
  }

  private async readGzip(): Promise<void> {
    while (this.len < this.buf.length) {
      let chunk = this.pending;
      this.pending = undefined;
      if (!chunk) {
        let r: IteratorResult<Buffer>;
        try {
          r = await this.gz!.next();
        } catch (err) {
          throw new DiagnosticError([
            {
              severity: 'error',
              message: `not a valid gzip file: ${(err as Error).message} (after ${this.base + this.len} bytes of decompressed text)`,
              location: { file: displayPath(this.path) },
            },
          ]);
        }
        this.diskBytesRead = this.src!.bytesRead;
        if (r.done) {
          this.eof = true;
          return;
        }
        chunk = r.value;
      }
      const room = this.buf.length - this.len;
      if (chunk.length > room) {
        chunk.copy(this.buf, this.len, 0, room);
        this.pending = chunk.subarray(room);
        this.len += room;
      } else {
        chunk.copy(this.buf, this.len);
        this.len += chunk.length;
      }
    }
  }

  async close(): Promise<void> {
    if (this.ahead) await this.ahead.catch(() => 0);
    this.ahead = undefined;
    if (this.fh) await this.fh.close();
    this.fh = undefined;
    this.gzStream?.destroy();
    this.src?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Locating an offset (error path only).

/** `path` as the user would type it (relative to the CLI's working directory when below it). */
export { displayPath } from '../../runner/pipeline/yaml-source.js';
import { displayPath } from '../../runner/pipeline/yaml-source.js';

export interface TextPosition {
  /** 1-based line and column (column in characters). */
  line: number;
  col: number;
  /** Up to ~60 characters either side of the offset, on the same line. */
  before: string;
  after: string;
  /** The whole line, when it is short enough to show. */
  lineText?: string;
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
    if (!found.has(t)) found.set(t, { line, col: colChars + 1, before: trimToChars(tail.toString('utf8'), CONTEXT_CHARS, true), after: '' });
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
    location: { file: displayPath(path), line: pos.line, col: pos.col, offset },
  };
  if (pos.lineText !== undefined) d.sourceLine = pos.lineText;
  else d.message += `\n    near: ${pos.before}⟨here⟩${pos.after}`;
  return d;
}

/** A Diagnostic for an error at byte `offset` of `path`, with line:col and the text around it. */
export async function diagnosticAt(path: string, offset: number, message: string): Promise<Diagnostic> {
  return diagnosticWithPosition(path, offset, await locateOffset(path, offset), message);
}

// ---------------------------------------------------------------------------------------------
// A top-level array, element by element (predictions files).

export interface StreamArrayOptions {
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** What the elements are, for messages ("detections" → "expected a JSON array of detections at the top level"). */
  label?: string;
  /** Initial window size in bytes (default 8 MiB; it grows to fit the largest element). Small values exercise refills in tests. */
  windowBytes?: number;
}

/**
 * Streams the top-level JSON array in `path` (plain or .gz), calling onElement for each element
 * with its exact bytes (a Buffer view valid only during the call) and its byte offset in the
 * decompressed text. Throws DiagnosticError (byte offset + line:col, "expected a JSON array of
 * detections at the top level" etc.) on malformed JSON or a non-array top level.
 *
 * `onProgress` receives bytes of the file on disk (compressed bytes for .gz) and its size.
 */
export async function streamTopLevelArray(
  path: string,
  onElement: (bytes: Buffer, start: number, index: number) => void,
  opts: StreamArrayOptions = {},
): Promise<{ count: number; textBytes: number }> {
  const label = opts.label ?? 'values';
  const w = await ByteWindow.open(path, opts.windowBytes);
  // States of the driver; each step reads one token (or one whole element) from `pos`.
  const BEFORE_ARRAY = 0, FIRST = 1, ELEMENT = 2, AFTER_ELEMENT = 3, AFTER_ARRAY = 4;
  let state = BEFORE_ARRAY;
  let pos = 0;
  let index = 0;
  try {
    pos = await w.refill(0);
    if (w.len - pos >= 3 && w.buf[pos] === 0xef && w.buf[pos + 1] === 0xbb && w.buf[pos + 2] === 0xbf) pos += 3; // UTF-8 BOM
    for (;;) {
      try {
        const b = w.buf;
        const end = w.len;
        for (;;) {
          if (state === AFTER_ARRAY) {
            while (pos < end && (b[pos] === 0x20 || b[pos] === 0x0a || b[pos] === 0x0d || b[pos] === 0x09)) pos++;
            if (pos < end) throw new JsonSyntaxError(pos, `unexpected ${describeByte(b[pos])} after the top-level array, expected the end of the file`);
            throw NEED_MORE;
          }
          pos = skipWs(b, pos, end);
          const c = b[pos]!;
          if (state === BEFORE_ARRAY) {
            if (c !== 0x5b) {
              const found = c === 0x7b ? 'an object' : describeByte(c);
              throw new JsonSyntaxError(pos, `expected a JSON array of ${label} at the top level, found ${found}`);
            }
            pos++;
            state = FIRST;
          } else if (state === FIRST && c === 0x5d) {
            pos++;
            state = AFTER_ARRAY;
          } else if (state === FIRST || state === ELEMENT) {
            const stop = skipElement(b, pos, end);
            // Make sure the delimiter after the element is in the window before reporting it,
            // so that an element is reported exactly once even if the window is refilled.
            skipWs(b, stop, end);
            onElement(b.subarray(pos, stop), w.base + pos, index++);
            pos = stop;
            state = AFTER_ELEMENT;
          } else {
            if (c === 0x2c) {
              pos++;
              state = ELEMENT;
            } else if (c === 0x5d) {
              pos++;
              state = AFTER_ARRAY;
            } else {
              throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after element ${index - 1} of the top-level array, expected ',' or ']'`);
            }
          }
        }
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        if (w.eof) {
          if (state === AFTER_ARRAY) break;
          const what = state === BEFORE_ARRAY ? `expected a JSON array of ${label} at the top level` : `unexpected end of input inside the top-level array (after ${index} ${label}); the file is truncated`;
          throw new JsonSyntaxError(w.len, state === BEFORE_ARRAY ? `${what}, found an empty file` : what);
        }
        opts.signal?.throwIfAborted();
        pos = await w.refill(pos);
        opts.onProgress?.(w.diskBytesRead, w.diskBytes);
      }
    }
    return { count: index, textBytes: w.base + w.len };
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new DiagnosticError([await diagnosticAt(path, w.base + err.pos, err.message)]);
    }
    throw err;
  } finally {
    await w.close();
  }
}

// ---------------------------------------------------------------------------------------------
// One field of a small JSON object (a detection).

const fieldKeyCache = new Map<string, Uint8Array>();

/**
 * The numeric value of top-level member `field` of the JSON object in `bytes`, skipping nested
 * values without parsing them; undefined if absent; throws an Error naming the field if it is
 * not a number.
 */
export function readNumberField(bytes: Buffer, field: string): number | undefined {
  let key = fieldKeyCache.get(field);
  if (!key) {
    key = Buffer.from(field, 'utf8');
    if (fieldKeyCache.size < 64) fieldKeyCache.set(field, key);
  }
  const b = bytes;
  const end = b.length;
  try {
    let p = skipWs(b, 0, end);
    if (b[p] !== 0x7b) throw new Error(`expected a JSON object with a "${field}" field, found ${describeByte(b[p])}`);
    p = skipWs(b, p + 1, end);
    if (b[p] === 0x7d) return undefined;
    for (;;) {
      if (b[p] !== 0x22) throw new JsonSyntaxError(p, `expected a '"' starting a key, found ${describeByte(b[p])}`);
      const keyEnd = skipString(b, p, end);
      const matches = bytesEqual(b, p + 1, keyEnd - 1, key) || (hasBackslash(b, p, keyEnd) && readString(b, p, end) === field);
      p = skipWs(b, keyEnd, end);
      if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `expected ':' after a key, found ${describeByte(b[p])}`);
      p = skipWs(b, p + 1, end);
      if (matches) {
        const c = b[p]!;
        if (c !== 0x2d && !isDigit(c)) {
          const stop = skipValue(b, p, end);
          const shown = stop - p > 40 ? `${b.subarray(p, p + 40).toString('utf8')}…` : b.subarray(p, stop).toString('utf8');
          throw new Error(`field "${field}" must be a number, found ${shown}`);
        }
        // Numbers need a delimiter after them; the element's bytes end with '}' so it is there.
        return readNumber(b, p, end);
      }
      p = skipWs(b, skipElement(b, p, end), end);
      const d = b[p];
      if (d === 0x2c) p = skipWs(b, p + 1, end);
      else if (d === 0x7d) return undefined;
      else throw new JsonSyntaxError(p, `expected ',' or '}' after a member, found ${describeByte(d)}`);
    }
  } catch (err) {
    if (err === NEED_MORE) throw new Error(`looking for "${field}": the JSON object ends early (truncated)`);
    if (err instanceof JsonSyntaxError) throw new Error(`looking for "${field}": ${err.message} at byte ${err.pos} of the object`);
    throw err;
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

function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === 0x5c) return true;
  return false;
}
