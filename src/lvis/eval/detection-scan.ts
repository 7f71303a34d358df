/**
 * One detection object read from the bytes of a results file, in place: `image_id`,
 * `category_id`, `bbox` and `score` into a shared Float64Array, and where its `segmentation`
 * is (read by detection-masks.ts when needed); every other member skipped with the strict
 * grammar (json/grammar.ts), no string or object built. Used by read-detections.ts, which
 * drives it over a ByteWindow.
 *
 * The grammar is checked exactly (a syntax error throws JsonSyntaxError at its position); a
 * well-formed detection with a wrong value (a bbox of 3 numbers, a score that is a string, a
 * missing field) is not an error here: `scanDetection` still returns its end, so that the
 * reader can go on and list every bad detection, and leaves the reason in `detection.problem`.
 * A repeated key counts with its last value, as Python's json module (and JSON.parse) read it.
 * Python writes non-finite floats as NaN, Infinity and -Infinity (not JSON); they are read as
 * those values, so that the detection is reported as "not finite" rather than as a syntax error.
 */
import { JsonSyntaxError, NEED_MORE, describeByte, skipString, skipValue, skipWs } from '../json/grammar.js';
import { bytesEqual, numberEnd, readNumber, readString } from '../json/read-values.js';
import { skipElement } from '../json/fast-skip.js';

/** Where a detection's values go: image_id, category_id, x, y, w, h, score. */
export const IMAGE = 0;
export const CATEGORY = 1;
export const BOX = 2;
export const SCORE = 6;

/** The `segmentation` member (not a value slot: its position is kept instead). */
export const SEGMENTATION = 7;

/** Bits of `detection.has`: which members the detection had. */
export const FIELD_BIT = { [IMAGE]: 1, [CATEGORY]: 2, [BOX]: 4, [SCORE]: 8, [SEGMENTATION]: 16 } as Record<number, number>;

export const detection = {
  values: new Float64Array(7),
  /** FIELD_BIT of each member present (a bbox counts when it is 4 numbers). */
  has: 0,
  /** Window positions of the `segmentation` value, when `has` says so. */
  segmentationStart: 0,
  segmentationEnd: 0,
  /** Whether the caller's mask reader read the segmentation in place, and for which image id. */
  maskRead: false,
  maskImage: NaN,
  /** What is wrong with the detection last scanned, or undefined. */
  problem: undefined as string | undefined,
};

const KEY_IMAGE = Buffer.from('image_id');
const KEY_CATEGORY = Buffer.from('category_id');
const KEY_BBOX = Buffer.from('bbox');
const KEY_SCORE = Buffer.from('score');
const KEY_SEGMENTATION = Buffer.from('segmentation');
const REQUIRED = [IMAGE, CATEGORY, SCORE];
const REQUIRED_BITS = REQUIRED.reduce((m, f) => m | FIELD_BIT[f]!, 0);
const SHAPE_BITS = FIELD_BIT[BOX]! | FIELD_BIT[SEGMENTATION]!;
const FIELD_NAMES: Record<number, string> = { [IMAGE]: '"image_id"', [CATEGORY]: '"category_id"', [SCORE]: '"score"' };
const BBOX_EXPECTED = '"bbox" must be 4 finite numbers [x, y, w, h], found';

/**
 * Reads a `segmentation` value in place (for the image of id `values[IMAGE]`, read before it;
 * `have`: the FIELD_BITs of the members read before it), returning the position after it, or
 * -1 to have it skipped (and read later, or never).
 */
export type MaskReader = (b: Buffer, p: number, end: number, imageId: number, have: number) => number;

/** Position after the value at p (any JSON value) of a detection; NEED_MORE / JsonSyntaxError as the grammar. */
export function scanDetection(b: Uint8Array, p: number, end: number, readMask?: MaskReader): number {
  const values = detection.values;
  detection.problem = undefined;
  detection.maskRead = false;
  if (b[p] !== 0x7b) {
    const stop = skipValue(b, p, end);
    detection.has = 0;
    detection.problem = `expected an object {"image_id", "category_id", "bbox", "score"}, found ${text(b, p, stop)}`;
    return stop;
  }
  let have = 0;
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) p++;
  else {
    for (;;) {
      if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in a detection, expected a '"' starting a key`);
      const keyEnd = skipString(b, p, end);
      const field = fieldOf(b, p, keyEnd, end);
      p = skipWs(b, keyEnd, end);
      if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a key, expected ':'`);
      p = skipWs(b, p + 1, end);
      const at = p;
      if (field === BOX) {
        p = readBox(b, p, end);
        if (p < 0) {
          p = skipValue(b, at, end);
          detection.problem ??= `${BBOX_EXPECTED} ${text(b, at, p)}`;
        }
        have |= FIELD_BIT[BOX]!;
      } else if (field === SEGMENTATION) {
        p = scanSegmentation(b as Buffer, p, end, have, readMask);
        have |= FIELD_BIT[SEGMENTATION]!;
      } else if (field >= 0) {
        const v = readNumeric(b, p, end);
        if (v === undefined) {
          p = skipValue(b, at, end);
          detection.problem ??= `${FIELD_NAMES[field]} must be a number, found ${text(b, at, p)}`;
        } else {
          values[field] = v;
          p = numericEnd;
        }
        have |= FIELD_BIT[field]!;
      } else {
        p = skipValue(b, p, end);
      }
      p = skipWs(b, p, end);
      const d = b[p];
      if (d === 0x2c) p = skipWs(b, p + 1, end);
      else if (d === 0x7d) {
        p++;
        break;
      } else throw new JsonSyntaxError(p, `unexpected ${describeByte(d)} after a member of a detection, expected ',' or '}'`);
    }
  }
  detection.has = have;
  if ((have & REQUIRED_BITS) !== REQUIRED_BITS || !(have & SHAPE_BITS)) detection.problem ??= missingProblem(have);
  return p;
}

/** What a detection with members `have` lacks (a message made only for such a detection: no array per detection). */
function missingProblem(have: number): string {
  const missing = REQUIRED.filter((f) => !(have & FIELD_BIT[f]!)).map((f) => FIELD_NAMES[f]!);
  if (!(have & SHAPE_BITS)) missing.push('"bbox" or "segmentation"');
  return `missing ${missing.join(', ')} (a detection needs "image_id", "category_id", "score", and a "bbox" [x, y, w, h] or a "segmentation" or both)`;
}

/**
 * The `segmentation` value at p: read in place when the image is known (its bit in `have`:
 * detectron2 and mmdetection write image_id first); else skipped fast, strings to their
 * closing quote: detection-masks.ts then parses it strictly when it needs it.
 */
function scanSegmentation(b: Buffer, p: number, end: number, have: number, readMask: MaskReader | undefined): number {
  const image = detection.values[IMAGE]!;
  const q = readMask && have & FIELD_BIT[IMAGE]! ? readMask(b, p, end, image, have) : -1;
  detection.maskRead = q >= 0;
  detection.maskImage = image;
  detection.segmentationStart = p;
  detection.segmentationEnd = q >= 0 ? q : skipElement(b, p, end);
  return detection.segmentationEnd;
}

/** Which member a key names (IMAGE, CATEGORY, BOX, SCORE, SEGMENTATION), or -1 for any other key. */
function fieldOf(b: Uint8Array, p: number, keyEnd: number, end: number): number {
  const s = p + 1;
  const e = keyEnd - 1;
  const n = e - s;
  if (n === 8 && bytesEqual(b, s, e, KEY_IMAGE)) return IMAGE;
  if (n === 11 && bytesEqual(b, s, e, KEY_CATEGORY)) return CATEGORY;
  if (n === 4 && bytesEqual(b, s, e, KEY_BBOX)) return BOX;
  if (n === 5 && bytesEqual(b, s, e, KEY_SCORE)) return SCORE;
  if (n === 12 && bytesEqual(b, s, e, KEY_SEGMENTATION)) return SEGMENTATION;
  for (let i = s; i < e; i++) {
    if (b[i] === 0x5c) {
      // An escaped key ("\u0062box"): rare, decoded to compare.
      const key = readString(b, p, end);
      return key === 'image_id' ? IMAGE : key === 'category_id' ? CATEGORY : key === 'bbox' ? BOX : key === 'score' ? SCORE : key === 'segmentation' ? SEGMENTATION : -1;
    }
  }
  return -1;
}

/** Reads `[x, y, w, h]` at p into values[BOX..]; the position after it, or -1 if it is not an array of 4 numbers. */
function readBox(b: Uint8Array, p: number, end: number): number {
  if (b[p] !== 0x5b) return -1;
  p = skipWs(b, p + 1, end);
  for (let k = 0; k < 4; k++) {
    const v = readNumeric(b, p, end);
    if (v === undefined) return -1;
    detection.values[BOX + k] = v;
    p = skipWs(b, numericEnd, end);
    if (b[p] !== (k === 3 ? 0x5d : 0x2c)) return -1;
    p = k === 3 ? p + 1 : skipWs(b, p + 1, end);
  }
  return p;
}

/** End of the value readNumeric read. */
let numericEnd = 0;

/** The number at p (a JSON number, or Python's NaN / Infinity / -Infinity), or undefined for any other value. */
function readNumeric(b: Uint8Array, p: number, end: number): number | undefined {
  const c = b[p]!;
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    if (c === 0x2d && b[p + 1] === 0x49 && word(b, p + 1, end, 'Infinity')) {
      numericEnd = p + 9;
      return -Infinity;
    }
    const v = readNumber(b, p, end);
    numericEnd = numberEnd;
    return v;
  }
  if (c === 0x4e && word(b, p, end, 'NaN')) {
    numericEnd = p + 3;
    return NaN;
  }
  if (c === 0x49 && word(b, p, end, 'Infinity')) {
    numericEnd = p + 8;
    return Infinity;
  }
  return undefined;
}

function word(b: Uint8Array, p: number, end: number, w: string): boolean {
  if (p + w.length >= end) throw NEED_MORE; // the byte after it must be in the window too
  for (let k = 0; k < w.length; k++) if (b[p + k] !== w.charCodeAt(k)) return false;
  const after = b[p + w.length]!;
  return !((after >= 0x30 && after <= 0x39) || (after >= 0x41 && after <= 0x5a) || (after >= 0x61 && after <= 0x7a));
}

/** The bytes [start, stop) as text, shortened, for messages. */
function text(b: Uint8Array, start: number, stop: number): string {
  const s = Buffer.from(b.buffer, b.byteOffset + start, Math.min(stop - start, 400)).toString('utf8').replace(/\s+/g, ' ');
  return s.length > 80 || stop - start > 400 ? `${s.slice(0, 80)}…` : s;
}
