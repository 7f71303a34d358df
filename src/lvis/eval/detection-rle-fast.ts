/**
 * The mask of a detection in the form detectron2 and mmdetection write it (pycocotools'
 * encode, then json.dump): `{"size": [h, w], "counts": "…"}` with the counts compressed, read
 * straight from the file's bytes into the mask store, the string copied as it stands (escapes
 * and all; the store keeps it so), no object, string or array of counts made. Called from the
 * detection scan itself (detection-scan.ts), so that the mask's bytes are walked once: a native
 * search for the closing quote, and a copy. A mask of any other form, or with anything to report, is left to
 * the general path (segmentation-json.ts, segmentation-rle.ts), which reads every form and says
 * what is wrong: this is only the fast lane of the common case.
 */
import { skipWs } from '../json/grammar.js';
import { bytesEqual, numberEnd, readNumber } from '../json/read-values.js';
import type { RleStore } from '../mask/rle-store.js';
import { rleFrJsonStringInto } from '../mask/rle-string.js';

const KEY_SIZE = Buffer.from('"size"');
const KEY_COUNTS = Buffer.from('"counts"');

/** The counts string readCompressedRle last read, copied into the store's free room (not committed) when `kept`. */
export const fastMask: { buffer: Buffer; at: number; length: number; kept: boolean } = { buffer: Buffer.alloc(0), at: 0, length: 0, kept: false };

let scratch: Uint32Array = new Uint32Array(4096);

/**
 * Reads the RLE object at p (the window b ends at `end`) of an h × w image: its counts string
 * goes to the store's free room (fastMask) when `keep`, not decoded: most masks are decoded only
 * when their IoUs are computed, and checked then (mask-iou.ts). The position after the object,
 * or -1 when the general path must read it.
 */
export function readCompressedRle(b: Buffer, p: number, end: number, h: number, w: number, store: RleStore, keep: boolean): number {
  if (b[p] !== 0x7b) return -1;
  let seen = 0;
  p = skipWs(b, p + 1, end);
  for (let member = 0; member < 2; member++) {
    if (b[p] !== 0x22) return -1;
    const q = b.indexOf(0x22, p + 1);
    if (q < 0 || q >= end) return -1;
    const key = bytesEqual(b, p, q + 1, KEY_SIZE) ? 1 : bytesEqual(b, p, q + 1, KEY_COUNTS) ? 2 : 0;
    p = skipWs(b, q + 1, end);
    if (key === 0 || seen & key || b[p] !== 0x3a) return -1;
    seen |= key;
    p = skipWs(b, p + 1, end);
    p = key === 1 ? readSize(b, p, end, h, w) : readCounts(b, p, end, store, keep);
    if (p < 0) return -1;
    p = skipWs(b, p, end);
    if (member === 0 ? b[p] !== 0x2c : b[p] !== 0x7d) return -1;
    p = member === 0 ? skipWs(b, p + 1, end) : p + 1;
  }
  return p;
}

/**
 * The counts of the mask readCompressedRle last read, decoded (valid until the next call), or
 * undefined when they do not cover an h × w image: for a detection whose area or box must come
 * from its mask.
 */
export function fastCounts(h: number, w: number): Uint32Array | undefined {
  const out = scratchFor(fastMask.length);
  const m = rleFrJsonStringInto(fastMask.buffer, fastMask.at, fastMask.at + fastMask.length, out, 0);
  let sum = 0;
  for (let j = 0; j < m; j++) sum += out[j]!;
  return m > 0 && sum === h * w ? out.subarray(0, m) : undefined;
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
 * The counts string at p, copied as it stands in the JSON (escapes and all: the store keeps it
 * so) into the store's free room (fastMask, not yet committed); the position after it, or -1
 * for anything unusual (the general path then reads it, and says what is wrong). Its characters
 * are checked when it is decoded.
 */
function readCounts(b: Buffer, p: number, end: number, store: RleStore, keep: boolean): number {
  if (b[p] !== 0x22) return -1;
  const q = b.indexOf(0x22, p + 1);
  if (q < 0 || q >= end || q === p + 1) return -1;
  // An escaped quote (an odd run of backslashes before it) is no end, and no counts either.
  let slashes = 0;
  while (b[q - 1 - slashes] === 0x5c) slashes++;
  if (slashes % 2 === 1) return -1;
  fastMask.kept = keep;
  fastMask.length = q - p - 1;
  if (!keep) return q + 1;
  const { buffer, at } = store.copyIn(b, p + 1, q); // (measured: 7× faster than a JS loop at 350 bytes)
  fastMask.buffer = buffer;
  fastMask.at = at;
  return q + 1;
}

function scratchFor(n: number): Uint32Array {
  if (scratch.length < n) scratch = new Uint32Array(2 * n);
  return scratch;
}
