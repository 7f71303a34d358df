/**
 * The mask of a detection in the form detectron2 and mmdetection write it (pycocotools'
 * encode, then json.dump): `{"size": [h, w], "counts": "…"}` with the counts compressed, read
 * straight from the file's bytes into the mask store: the string unescaped into the store and
 * decoded in the same pass (to check that it covers the image, and for its area), no object,
 * string or array of counts made. A mask of any other form, or with anything to report, is left to
 * the general path (segmentation-json.ts, segmentation-rle.ts), which reads every form and says
 * what is wrong: this is only the fast lane of the common case.
 */
import { skipWs } from '../json/grammar.js';
import { bytesEqual, numberEnd, readNumber } from '../json/read-values.js';
import type { RleStore } from '../mask/rle-store.js';
import { rleFrStringInto } from '../mask/rle-string.js';

const KEY_SIZE = Buffer.from('"size"');
const KEY_COUNTS = Buffer.from('"counts"');

/** What the last successful read found: the mask's index in the store (-1 without `keep`) and area. */
export const fastMask: { index: number; area: number } = { index: -1, area: 0 };

let scratch: Uint32Array = new Uint32Array(4096);
/** The counts string as readCounts left it in the store's free room. */
const room: { buffer: Buffer; at: number; length: number; counts: number; sum: number; area: number } = { buffer: Buffer.alloc(0), at: 0, length: 0, counts: 0, sum: 0, area: 0 };

/**
 * Reads the RLE object b[p, end) (exactly: `end` is just after its '}') of an h × w image,
 * into `store` when `keep`; true when it did (fastMask holds the result; index -1 without
 * `keep`), false when the general path must.
 */
export function readCompressedRle(b: Buffer, p: number, end: number, h: number, w: number, store: RleStore, keep: boolean): boolean {
  if (b[p] !== 0x7b) return false;
  let seen = 0;
  p = skipWs(b, p + 1, end);
  for (let member = 0; member < 2; member++) {
    if (b[p] !== 0x22) return false;
    const q = b.indexOf(0x22, p + 1);
    if (q < 0 || q >= end) return false;
    const key = bytesEqual(b, p, q + 1, KEY_SIZE) ? 1 : bytesEqual(b, p, q + 1, KEY_COUNTS) ? 2 : 0;
    p = skipWs(b, q + 1, end);
    if (key === 0 || seen & key || b[p] !== 0x3a) return false;
    seen |= key;
    p = skipWs(b, p + 1, end);
    p = key === 1 ? readSize(b, p, end, h, w) : readCounts(b, p, end, store);
    if (p < 0) return false;
    p = skipWs(b, p, end);
    if (member === 0 ? b[p] !== 0x2c : b[p] !== 0x7d) return false;
    p = member === 0 ? skipWs(b, p + 1, end) : p + 1;
  }
  if (p !== end || room.sum !== h * w || room.counts < 1) return false;
  fastMask.index = keep ? store.commit(room.length) : -1;
  fastMask.area = room.area;
  return true;
}

/**
 * The counts of the mask readCompressedRle last read (decoded again from its bytes: only a
 * detection without a bbox needs them, for its box); valid until the next call.
 */
export function lastCounts(): Uint32Array {
  const out = scratchFor(room.length);
  return out.subarray(0, rleFrStringInto(room.buffer, room.at, room.at + room.length, out, 0));
}

/** `[h, w]`, equal to the image's size; the position after it, or -1. */
function readSize(b: Buffer, p: number, end: number, h: number, w: number): number {
  if (b[p] !== 0x5b) return -1;
  p = skipWs(b, p + 1, end);
  if (!isDigit(b[p]) || readNumber(b, p, end) !== h) return -1;
  p = skipWs(b, numberEnd, end);
  if (b[p] !== 0x2c) return -1;
  p = skipWs(b, p + 1, end);
  if (!isDigit(b[p]) || readNumber(b, p, end) !== w) return -1;
  p = skipWs(b, numberEnd, end);
  return b[p] === 0x5d ? p + 1 : -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/**
 * The counts string at p, unescaped into the store's free room (`room`, not yet committed) and
 * decoded as it is copied, keeping only the sum and the foreground sum of the counts (the mask
 * must cover the image; its area) and the last two counts (each is a difference from the one
 * two before); the position after it, or -1 for anything unusual (the general path then reads
 * it, and says what is wrong). Only `\\` and `\/` may be escaped: the alphabet '0'..'o' holds
 * one character that JSON escapes, the backslash. As in rleFrStringInto, numbers of up to 6
 * characters are put together in 32-bit integers.
 */
function readCounts(b: Buffer, p: number, end: number, store: RleStore): number {
  if (b[p] !== 0x22) return -1;
  const { buffer, at } = store.reserve(end - p);
  let n = 0;
  let m = 0;
  let x = 0;
  let k = 0;
  let prev1 = 0; // counts[m - 1]
  let prev2 = 0; // counts[m - 2]
  let sum = 0;
  let area = 0;
  for (let i = p + 1; i < end; i++) {
    let ch = b[i]!;
    if (ch === 0x22) {
      if (k !== 0) return -1; // cut short
      room.buffer = buffer;
      room.at = at;
      room.length = n;
      room.counts = m;
      room.sum = sum;
      room.area = area;
      return i + 1;
    }
    if (ch === 0x5c) {
      ch = b[++i]!;
      if (ch !== 0x5c && ch !== 0x2f) return -1;
    }
    buffer[at + n++] = ch;
    const c = ch - 48;
    if (c < 0 || c > 63 || k === 6) return -1;
    x |= (c & 0x1f) << (5 * k++);
    if (c & 0x20) continue;
    if (c & 0x10) x |= -1 << (5 * k);
    if (m > 2) x += prev2;
    x >>>= 0; // (uint) x
    sum += x;
    if (m & 1) area += x;
    prev2 = prev1;
    prev1 = x;
    m++;
    x = 0;
    k = 0;
  }
  return -1;
}

function scratchFor(n: number): Uint32Array {
  if (scratch.length < n) scratch = new Uint32Array(2 * n);
  return scratch;
}
