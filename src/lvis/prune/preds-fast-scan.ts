/**
 * The fast path of `prune-preds`: one pass over a predictions file (a JSON list of detection
 * objects, plain or gzip) that finds each detection's byte range and reads its `image_id` and
 * `category_id` at the same time.
 *
 * Why hand-written, next to json-scan's streamTopLevelArray (which prune-preds still uses as
 * its exact path): reading the ids of the 119 MB benchmark file with streamTopLevelArray and
 * readNumberField ran at 118 MB/s with a core to itself and 72 MB/s with both cores busy,
 * before any output was written, against the task's 100 MB/s. One walk that delimits each
 * detection and reads its ids, with no call or Buffer view per detection, runs at 267 and
 * 168 MB/s in the same two runs (BENCHMARKS.md, "write and prune"; bench/write-prune.ts
 * measures all three).
 *
 * It checks the JSON grammar as it goes (numbers digit by digit, strings with their escapes,
 * nesting, commas), except control characters inside strings, and it handles only what
 * detections look like: objects whose ids are plain integers. Anything else (a syntax error,
 * a detection without ids, an id like `3.0`, a non-object element) makes it give up with
 * FastScanGaveUp; prune-preds then starts over on the exact path, which accepts every valid
 * file and reports every error with its location.
 */
import { ByteWindow } from '../json/byte-window.js';
import { nextBackslash } from '../json/fast-skip.js';

/** The fast path found something it does not handle; the exact path must decide. */
export class FastScanGaveUp extends Error {
  constructor(readonly offset: number) {
    super(`fast scan gave up at byte ${offset}`);
  }
}

/**
 * Which detections to keep, as byte tables indexed by id (1: kept; an id past the end is not
 * kept). Tables rather than a callback or a Set: one load per id instead of a call and a hash
 * lookup per detection.
 */
export interface DetectionFilter {
  categories: Uint8Array;
  images: Uint8Array;
}

/**
 * Receives the output's bytes between `[` and `]`, piece by piece: buf[start .. end) is valid
 * only during the call. Kept neighbours come as one run with the source's separator between
 * them; where detections were dropped, the scanner puts the source's separator (the bytes
 * between its first two detections, `", "` in files written by Python) between the runs. So
 * the output does not depend on where the read windows happen to end.
 */
export type EmitBytes = (buf: Buffer, start: number, end: number) => void;

export interface FastScanResult {
  detections: number;
  kept: number;
  /** Dropped because the category is not kept (whatever the image). */
  droppedCategory: number;
  /** Dropped because the image is not kept (category kept). */
  droppedImage: number;
}

export interface FastScanOptions {
  /**
   * Called for each detection that is not plainly valid (see `found.suspect`), kept or dropped:
   * its bytes buf[start, end), its absolute offset and its index in the file.
   */
  onSuspect?: (buf: Buffer, start: number, end: number, offset: number, index: number) => void;
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Bytes read per refill (tests use small values to cross window borders often). */
  chunkBytes?: number;
}

const DEFAULT_SEPARATOR = Buffer.from(', ');

const WS = new Uint8Array(256);
WS[0x20] = WS[0x0a] = WS[0x0d] = WS[0x09] = 1;

/** Thrown inside the scan: `at` is where it stopped; at or past the window end means "need more bytes". */
const STOP = { at: 0 };
function stop(at: number): never {
  STOP.at = at;
  throw STOP;
}

/**
 * Streams the detections of `path`, hands the kept ones to `emit` in runs (one copy per run of
 * neighbours rather than per detection), and resolves with the counts. Throws FastScanGaveUp
 * for anything the exact path must look at (a gzip error also surfaces there, with its message).
 * It stays one function: its loop runs once per detection (1.2M in a val-sized file) and shares
 * the window, the pending run and the separator state; reading one detection is scanDetection.
 */
export async function scanDetectionsFast(
  path: string,
  filter: DetectionFilter,
  emit: EmitBytes,
  opts: FastScanOptions = {},
): Promise<FastScanResult> {
  let w: ByteWindow;
  try {
    w = await ByteWindow.open(path, opts.chunkBytes ?? 8 << 20);
  } catch {
    throw new FastScanGaveUp(0); // unreadable: the exact path says why
  }
  let count = 0;
  let kept = 0;
  let droppedCategory = 0;
  let droppedImage = 0;
  const { categories, images } = filter;
  // The pending run of kept detections: window positions [runStart, runEnd), or runStart < 0.
  let runStart = -1;
  let runEnd = 0;
  let lastKept = false;
  let separator = DEFAULT_SEPARATOR;
  let separatorSeen = false;
  /** End of the previous detection in the window (-1: none yet). */
  let prevEnd = -1;
  const flush = () => {
    if (runStart >= 0) emit(w.buf, runStart, runEnd);
    runStart = -1;
  };
  try {
    let p = await w.refill(0);
    // The opening bracket (after an optional BOM and whitespace).
    if (w.buf[p] === 0xef && w.buf[p + 1] === 0xbb && w.buf[p + 2] === 0xbf) p += 3;
    while (WS[w.buf[p]!]) p++;
    if (w.buf[p] !== 0x5b) throw new FastScanGaveUp(w.base + p);
    p++;
    let first = true;
    for (;;) {
      // One detection (with the separator before it) per iteration; on running out of bytes,
      // refill keeping the bytes from `p` and redo this iteration.
      const from = p;
      try {
        const b = w.buf;
        while (WS[b[p]!]) p++;
        if (!first) {
          if (b[p] === 0x5d) {
            p++;
            break;
          }
          if (b[p] !== 0x2c) stop(p);
          p++;
          while (WS[b[p]!]) p++;
        } else if (b[p] === 0x5d) {
          p++;
          break;
        }
        const start = p;
        p = scanDetection(b, p, w.len);
        if (!separatorSeen && prevEnd >= 0) {
          separator = Buffer.from(b.subarray(prevEnd, start));
          separatorSeen = true;
        }
        if (found.suspect) opts.onSuspect?.(b, start, p, w.base + start, count);
        let keep = true;
        if (categories[found.categoryId] !== 1) {
          droppedCategory++;
          keep = false;
        } else if (images[found.imageId] !== 1) {
          droppedImage++;
          keep = false;
        }
        if (keep) {
          if (runStart >= 0) runEnd = p; // the run goes on
          else if (lastKept) {
            // The run was cut by a refill: go on from the previous detection's end, so the
            // source's separator comes along.
            runStart = prevEnd;
            runEnd = p;
          } else {
            if (kept > 0) emit(separator, 0, separator.length);
            runStart = start;
            runEnd = p;
          }
          lastKept = true;
          kept++;
        } else {
          flush();
          lastKept = false;
        }
        prevEnd = p;
        first = false;
        count++;
      } catch (err) {
        if (err !== STOP) throw err;
        if (STOP.at < w.len || w.eof) throw new FastScanGaveUp(w.base + STOP.at);
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
        flush(); // the window's bytes are about to move
        const start = await w.refill(from); // keeps the bytes from `from` (= prevEnd) on, now at `start`
        if (prevEnd >= 0) prevEnd = prevEnd - from + start;
        opts.onProgress?.(w.diskBytesRead, w.diskBytes);
        p = start;
      }
    }
    flush();
    // Only whitespace may follow the list.
    for (;;) {
      while (p < w.len && WS[w.buf[p]!]) p++;
      if (p < w.len) throw new FastScanGaveUp(w.base + p);
      if (w.eof) break;
      p = await w.refill(p);
    }
    opts.onProgress?.(w.diskBytesRead, w.diskBytes);
    return { detections: count, kept, droppedCategory, droppedImage };
  } catch (err) {
    // A gzip stream error, or an unreadable file: the exact path reports it properly.
    if (err instanceof FastScanGaveUp || (opts.signal?.aborted ?? false)) throw err;
    throw new FastScanGaveUp(w.base);
  } finally {
    await w.close();
  }
}

/**
 * The ids of the detection scanDetection just read, and whether it needs the evaluator's full
 * check (`suspect`): anything but a plain `bbox` of 4 numbers with non-negative w, h and a plain
 * numeric `score` (a mask, an exponent, a repeated or escaped key, a missing member, …). Plain
 * detections, nearly all of a box file, are then known good at no extra cost.
 */
const found = { imageId: 0, categoryId: 0, suspect: false };

const BBOX = 4;
const SCORE = 8;
const SEGMENTATION = 16;

/**
 * Reads one detection object at p; returns the position after it. Ids go to `found`.
 *
 * One function with the common cases inline (keys, numbers, arrays of numbers): on this
 * machine a call per key or number costs as much as the bytes it reads. Nested objects,
 * other arrays, strings with escapes and literals go through skipValue.
 */
function scanDetection(b: Buffer, p: number, len: number): number {
  if (b[p] !== 0x7b) stop(p);
  let c = b[++p]!;
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
  if (c === 0x7d) stop(p); // {}: no ids
  let have = 0;
  let seen = 0;
  let suspect = false;
  for (;;) {
    // The key.
    if (c !== 0x22) stop(p);
    const keyStart = p + 1;
    c = b[++p]!;
    while (c !== 0x22) {
      if (c === 0x5c || c === 0) {
        p = skipEscapedString(b, p) - 1;
        suspect = true;
        break;
      }
      c = b[++p]!;
    }
    const keyLen = p - keyStart;
    c = b[++p]!;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
    if (c !== 0x3a) stop(p);
    c = b[++p]!;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
    const which = keyLen === 8 && isImageId(b, keyStart) ? 1 : keyLen === 11 && isCategoryId(b, keyStart) ? 2 : 0;
    const kind = which !== 0 ? 0 : keyLen === 4 && isKey(b, keyStart, KEY_BBOX) ? BBOX : keyLen === 5 && isKey(b, keyStart, KEY_SCORE) ? SCORE : keyLen === 12 && isKey(b, keyStart, KEY_SEGMENTATION) ? SEGMENTATION : 0;
    if (seen & kind || kind === SEGMENTATION) suspect = true;
    seen |= kind;
    // The value.
    if (which !== 0) {
      // A plain non-negative integer of at most 15 digits (exact as a double).
      let v = 0;
      const s = p;
      if (c === 0x30) c = b[++p]!;
      else
        while (c >= 0x30 && c <= 0x39) {
          v = v * 10 + (c - 0x30);
          c = b[++p]!;
        }
      if (p === s || p - s > 15 || c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) stop(s);
      if (have & which) stop(s); // a repeated id key: the exact path decides which one counts
      if (which === 1) found.imageId = v;
      else found.categoryId = v;
      have |= which;
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      const s = p;
      p = skipNumber(b, p);
      c = b[p]!;
      if (kind === BBOX || (kind === SCORE && hasExponent(b, s, p))) suspect = true;
    } else if (c === 0x5b) {
      // An array; numbers inline (bbox), anything else through skipValue.
      c = b[++p]!;
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
      let n = 0;
      if (kind === SCORE) suspect = true;
      if (c !== 0x5d) {
        for (;; n++) {
          const number = (c >= 0x30 && c <= 0x39) || c === 0x2d;
          // A bbox is 4 plain numbers, its width and height not negative.
          if (kind === BBOX && (!number || (n >= 2 && c === 0x2d))) suspect = true;
          const s = p;
          p = number ? skipNumber(b, p) : skipValue(b, p, len, 1);
          if (kind === BBOX && hasExponent(b, s, p)) suspect = true;
          c = b[p]!;
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
          if (c === 0x5d) break;
          if (c !== 0x2c) stop(p);
          c = b[++p]!;
          while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
        }
        n++;
      }
      if (kind === BBOX && n !== 4) suspect = true;
      c = b[++p]!;
    } else {
      if (kind !== 0) suspect = true;
      p = skipValue(b, p, len, 0);
      c = b[p]!;
    }
    // After the value.
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
    if (c === 0x2c) {
      c = b[++p]!;
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p]!;
    } else if (c === 0x7d) {
      if (have !== 3) stop(p);
      found.suspect = suspect || !(seen & SCORE) || !(seen & (BBOX | SEGMENTATION));
      return p + 1;
    } else stop(p);
  }
}

const KEY_BBOX = Buffer.from('bbox');
const KEY_SCORE = Buffer.from('score');
const KEY_SEGMENTATION = Buffer.from('segmentation');

function isKey(b: Buffer, at: number, key: Buffer): boolean {
  for (let k = 0; k < key.length; k++) if (b[at + k] !== key[k]) return false;
  return true;
}

/** Whether the number b[s, e) has an exponent (it may then overflow to Infinity). */
function hasExponent(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (b[i] === 0x65 || b[i] === 0x45) return true;
  return false;
}

function isImageId(b: Buffer, at: number): boolean {
  // "image_id"
  return b[at] === 0x69 && b[at + 1] === 0x6d && b[at + 2] === 0x61 && b[at + 3] === 0x67 && b[at + 4] === 0x65 && b[at + 5] === 0x5f && b[at + 6] === 0x69 && b[at + 7] === 0x64;
}

function isCategoryId(b: Buffer, at: number): boolean {
  // "category_id"
  return (
    b[at] === 0x63 && b[at + 1] === 0x61 && b[at + 2] === 0x74 && b[at + 3] === 0x65 && b[at + 4] === 0x67 && b[at + 5] === 0x6f &&
    b[at + 6] === 0x72 && b[at + 7] === 0x79 && b[at + 8] === 0x5f && b[at + 9] === 0x69 && b[at + 10] === 0x64
  );
}

/** p at an opening quote; returns the position after the closing quote. */
function skipString(b: Buffer, p: number, len: number): number {
  // Short strings (keys): a JS loop is cheaper than two native searches.
  for (let i = p + 1, stopAt = p + 33; i < stopAt; i++) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c || c === 0) return skipEscapedString(b, i);
  }
  const q = b.indexOf(0x22, p + 1);
  if (q < 0 || q >= len) stop(len);
  // Fast case: no backslash before the closing quote.
  const bs = nextBackslash(b, p + 1);
  if (bs < 0 || bs > q) return q + 1;
  return skipEscapedString(b, bs);
}

/** Walks a string from position i (a backslash, or any byte inside it) to its end. */
function skipEscapedString(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = b[i + 1]!;
      if (e === 0x75) {
        for (let k = i + 2; k < i + 6; k++) if (!isHex(b[k]!)) stop(k);
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else stop(i + 1);
    } else if (c === 0) stop(i); // the stop byte (or a NUL: invalid either way)
    else i++;
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Validates a number at p; returns the position after it. */
function skipNumber(b: Buffer, p: number): number {
  let c = b[p]!;
  if (c === 0x2d) c = b[++p]!;
  if (c === 0x30) c = b[++p]!;
  else if (c >= 0x31 && c <= 0x39) {
    do c = b[++p]!;
    while (c >= 0x30 && c <= 0x39);
  } else stop(p);
  if (c === 0x2e) {
    c = b[++p]!;
    if (!(c >= 0x30 && c <= 0x39)) stop(p);
    do c = b[++p]!;
    while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++p]!;
    if (c === 0x2b || c === 0x2d) c = b[++p]!;
    if (!(c >= 0x30 && c <= 0x39)) stop(p);
    do c = b[++p]!;
    while (c >= 0x30 && c <= 0x39);
  }
  // "12x", "01": a number must end at a delimiter (the stop byte counts as one, and the
  // caller's next check fails on it).
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2e || c === 0x2b || c === 0x2d) stop(p);
  return p;
}

/** Validates the array at p; returns the position after it. Numbers (bboxes, sizes) inline. */
function skipArray(b: Buffer, p: number, len: number, depth: number): number {
  p++;
  while (WS[b[p]!]) p++;
  if (b[p] === 0x5d) return p + 1;
  for (;;) {
    const d = b[p]!;
    p = (d >= 0x30 && d <= 0x39) || d === 0x2d ? skipNumber(b, p) : skipValue(b, p, len, depth + 1);
    while (WS[b[p]!]) p++;
    const e = b[p];
    if (e === 0x2c) {
      p++;
      while (WS[b[p]!]) p++;
    } else if (e === 0x5d) return p + 1;
    else stop(p);
  }
}

/** Validates any JSON value at p; returns the position after it. */
function skipValue(b: Buffer, p: number, len: number, depth: number): number {
  const c = b[p]!;
  if (c === 0x22) return skipString(b, p, len);
  if ((c >= 0x30 && c <= 0x39) || c === 0x2d) return skipNumber(b, p);
  if (depth > 64) stop(p);
  if (c === 0x5b) return skipArray(b, p, len, depth);
  if (c === 0x7b) {
    p++;
    while (WS[b[p]!]) p++;
    if (b[p] === 0x7d) return p + 1;
    for (;;) {
      if (b[p] !== 0x22) stop(p);
      p = skipString(b, p, len);
      while (WS[b[p]!]) p++;
      if (b[p] !== 0x3a) stop(p);
      p++;
      while (WS[b[p]!]) p++;
      p = skipValue(b, p, len, depth + 1);
      while (WS[b[p]!]) p++;
      const e = b[p];
      if (e === 0x2c) {
        p++;
        while (WS[b[p]!]) p++;
      } else if (e === 0x7d) return p + 1;
      else stop(p);
    }
  }
  if (c === 0x74) return literal(b, p, 'true');
  if (c === 0x66) return literal(b, p, 'false');
  if (c === 0x6e) return literal(b, p, 'null');
  return stop(p);
}

function literal(b: Buffer, p: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[p + k] !== word.charCodeAt(k)) stop(p + k);
  return p + word.length;
}
