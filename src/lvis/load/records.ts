/**
 * Reading image and annotation records straight from the bytes of the source text (the hot path
 * of `load`, run 1.27 million times for LVIS train). Each parser reads the few fields the
 * pipeline needs into preallocated columns, compares keys as bytes, reads numbers without
 * building strings and skips everything else (segmentation, file names, urls) with
 * `skipElement`. Anything wrong with a record is collected as a RecordProblem, not thrown, so
 * that one run lists every bad record; JSON syntax errors are thrown (JsonSyntaxError).
 *
 * A parser may be stopped by NEED_MORE when the window ends inside its record; the driver then
 * refills the window and calls it again for the same record. So parsers only write to slot `i`
 * of the columns (which the retry overwrites) and report problems through `problems`, which the
 * caller resets before each attempt.
 */
import { skipElement } from '../json/fast-skip.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipValue, skipWs } from '../json/grammar.js';
import { readNumber, numberEnd, readString } from '../json/read-values.js';
import { AnnotationColumns, IdLists, ImageColumns } from './columns.js';

/** A bad record, found while scanning or when checking cross-references. */
export interface RecordProblem {
  kind: 'image' | 'annotation' | 'category';
  /** Index of the record in its array. */
  index: number;
  /** The record's id, when it could be read. */
  id?: number;
  /** The field at fault (absent when the record as a whole is wrong). */
  field?: string;
  /** What is wrong and what was expected, without the record's name. */
  message: string;
  /** Byte offset (decompressed text) of the offending value or record. */
  offset: number;
  /** A finite negative `area`: an error for `load`, not for the evaluator (see ProblemLog). */
  negativeArea?: true;
}

/** Names a record in messages: `annotation id=42 (#7)` or `image #3` when its id is unknown. */
export function recordName(p: Pick<RecordProblem, 'kind' | 'index' | 'id'>): string {
  return p.id === undefined ? `${p.kind} #${p.index}` : `${p.kind} id=${p.id} (#${p.index})`;
}

export function formatProblem(p: RecordProblem): string {
  return `${recordName(p)}${p.field === undefined ? '' : `, field "${p.field}"`}: ${p.message}`;
}

// ---------------------------------------------------------------------------------------------
// Field values

/** Where the last value read by readFieldNumber ended. */
let valueEnd = 0;

function isNumberStart(c: number): boolean {
  return c === 0x2d || (c >= 0x30 && c <= 0x39);
}

/** What kind of JSON value starts with byte c, for messages. */
export function describeValueAt(b: Uint8Array, p: number): string {
  const c = b[p];
  if (c === 0x22) return 'a string';
  if (c === 0x5b) return 'an array';
  if (c === 0x7b) return 'an object';
  if (c === 0x74 || c === 0x66) return 'a boolean';
  if (c === 0x6e) return 'null';
  return describeByte(c);
}

function literalAt(b: Uint8Array, p: number, end: number, word: string): boolean {
  if (p + word.length > end) throw NEED_MORE;
  for (let k = 0; k < word.length; k++) if (b[p + k] !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * The number at p, or undefined (with valueEnd after the value) when the value is not a number.
 * Python's json module writes NaN and ±Infinity as bare words; they are read here as the
 * non-finite numbers they stand for, so that the message can say "non-finite" rather than
 * report a syntax error.
 */
function readFieldNumber(b: Buffer, p: number, end: number, strict: boolean): number | undefined {
  const c = b[p]!;
  if (isNumberStart(c) && !(c === 0x2d && b[p + 1] === 0x49)) {
    const v = readNumber(b, p, end);
    valueEnd = numberEnd;
    return v;
  }
  if (c === 0x4e && literalAt(b, p, end, 'NaN')) {
    valueEnd = p + 3;
    return NaN;
  }
  if (c === 0x49 && literalAt(b, p, end, 'Infinity')) {
    valueEnd = p + 8;
    return Infinity;
  }
  if (c === 0x2d && literalAt(b, p, end, '-Infinity')) {
    valueEnd = p + 9;
    return -Infinity;
  }
  valueEnd = strict ? skipValue(b, p, end) : skipElement(b, p, end);
  return undefined;
}

/** The text of b[start .. stop), shortened to about 40 characters. */
function excerpt(b: Buffer, start: number, stop: number): string {
  return stop - start > 40 ? `${b.toString('utf8', start, start + 40)}…` : b.toString('utf8', start, stop);
}

function showNumber(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

// ---------------------------------------------------------------------------------------------
// Keys

function key(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** True when b[s .. s+len) holds the ASCII key `k` (len already checked). */
function keyIs(b: Uint8Array, s: number, k: Uint8Array): boolean {
  for (let j = 0; j < k.length; j++) if (b[s + j] !== k[j]) return false;
  return true;
}

/** Where the key read by readKey ends (after its closing quote). */
let keyEnd = 0;

/**
 * Reads the key whose opening quote is at p and returns the index of the field it names in
 * `keys` (-1 for any other key). Keys are compared as bytes; an escaped key ("\u0069d") is
 * decoded first (never seen in practice, but valid JSON).
 */
function readKey(b: Buffer, p: number, end: number, keys: readonly Uint8Array[], names: readonly string[]): number {
  let q = p + 1;
  let c = 0;
  while (q < end && (c = b[q]!) !== 0x22 && c !== 0x5c && c >= 0x20) q++;
  if (q >= end) throw NEED_MORE;
  if (c !== 0x22) {
    if (c < 0x20) throw new JsonSyntaxError(q, `unescaped control character (${describeByte(c)}) in a string`);
    const name = readString(b, p, end);
    keyEnd = numberEnd;
    return names.indexOf(name);
  }
  keyEnd = q + 1;
  const s = p + 1;
  const len = q - s;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length === len && keyIs(b, s, key)) return k;
  }
  return -1;
}

/** After a member's value: skips ',' (returning the next key's position) or '}' (returning -1 - position after it). */
function afterMember(b: Uint8Array, p: number, end: number): number {
  p = skipWs(b, p, end);
  const d = b[p]!;
  if (d === 0x2c) {
    p = skipWs(b, p + 1, end);
    if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in an object, expected a '"' starting a key`);
    return p;
  }
  if (d === 0x7d) return -1 - (p + 1);
  throw new JsonSyntaxError(p, `unexpected ${describeByte(d)} after an object member, expected ',' or '}'`);
}

/** Skips ws, ':' and ws after a key. */
function colon(b: Uint8Array, p: number, end: number): number {
  p = skipWs(b, p, end);
  if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after an object key, expected ':'`);
  return skipWs(b, p + 1, end);
}

/** Position after the first key of the object at p ('{'), or -1 - position after '}' if it is empty. */
function firstMember(b: Uint8Array, p: number, end: number): number {
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) return -1 - (p + 1);
  if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in an object, expected a '"' starting a key`);
  return p;
}

function skipAny(b: Buffer, p: number, end: number, strict: boolean): number {
  return strict ? skipValue(b, p, end) : skipElement(b, p, end);
}

function report(problems: RecordProblem[], kind: RecordProblem['kind'], index: number, field: string | undefined, message: string, offset: number): void {
  problems.push({ kind, index, field, message, offset });
}

function missingFields(names: readonly string[], required: readonly number[], seen: number): string {
  const missing = required.filter((f) => !(seen & (1 << f))).map((f) => `"${names[f]}"`);
  return `missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Annotations

const ANN_NAMES = ['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd'] as const;
const ANN_KEYS = ANN_NAMES.map(key);
const A_ID = 0, A_IMAGE = 1, A_CATEGORY = 2, A_BBOX = 3, A_AREA = 4, A_CROWD = 5;
const A_REQUIRED = [A_ID, A_IMAGE, A_CATEGORY, A_BBOX];
const A_REQUIRED_MASK = (1 << A_ID) | (1 << A_IMAGE) | (1 << A_CATEGORY) | (1 << A_BBOX);

/**
 * readKey specialised for annotation keys (run 8 million times for LVIS train): the first
 * letter names the only candidate, whose remaining bytes and closing quote are compared as
 * constants (straight-line code: measured ~2x faster than a loop over the candidate's bytes).
 * Anything else goes through readKey.
 */
function readAnnotationKey(b: Buffer, p: number, end: number): number {
  const s = p + 1;
  if (s + 13 <= end) {
    let f = -2;
    let n = 0;
    switch (b[s]) {
      case 0x61: // area
        if (b[s + 1] === 0x72 && b[s + 2] === 0x65 && b[s + 3] === 0x61 && b[s + 4] === 0x22) (f = A_AREA), (n = 5);
        break;
      case 0x62: // bbox
        if (b[s + 1] === 0x62 && b[s + 2] === 0x6f && b[s + 3] === 0x78 && b[s + 4] === 0x22) (f = A_BBOX), (n = 5);
        break;
      case 0x63: // category_id
        if (b[s + 1] === 0x61 && b[s + 2] === 0x74 && b[s + 3] === 0x65 && b[s + 4] === 0x67 && b[s + 5] === 0x6f && b[s + 6] === 0x72 && b[s + 7] === 0x79 && b[s + 8] === 0x5f && b[s + 9] === 0x69 && b[s + 10] === 0x64 && b[s + 11] === 0x22) (f = A_CATEGORY), (n = 12);
        break;
      case 0x73: // segmentation
        if (b[s + 1] === 0x65 && b[s + 2] === 0x67 && b[s + 3] === 0x6d && b[s + 4] === 0x65 && b[s + 5] === 0x6e && b[s + 6] === 0x74 && b[s + 7] === 0x61 && b[s + 8] === 0x74 && b[s + 9] === 0x69 && b[s + 10] === 0x6f && b[s + 11] === 0x6e && b[s + 12] === 0x22) (f = -1), (n = 13);
        break;
      case 0x69: // id, image_id, iscrowd
        if (b[s + 1] === 0x64 && b[s + 2] === 0x22) (f = A_ID), (n = 3);
        else if (b[s + 1] === 0x6d && b[s + 2] === 0x61 && b[s + 3] === 0x67 && b[s + 4] === 0x65 && b[s + 5] === 0x5f && b[s + 6] === 0x69 && b[s + 7] === 0x64 && b[s + 8] === 0x22) (f = A_IMAGE), (n = 9);
        else if (b[s + 1] === 0x73 && b[s + 2] === 0x63 && b[s + 3] === 0x72 && b[s + 4] === 0x6f && b[s + 5] === 0x77 && b[s + 6] === 0x64 && b[s + 7] === 0x22) (f = A_CROWD), (n = 8);
        break;
    }
    if (f !== -2) {
      keyEnd = s + n;
      return f;
    }
  }
  return readKey(b, p, end, ANN_KEYS, ANN_NAMES);
}

/** Where the last record parsed ended. */
export let recordEnd = 0;

/**
 * Parses the annotation record at p (window-relative; `base` makes offsets absolute) into slot i
 * of `a`, and sets recordEnd. Problems with the record go to `problems`.
 */
export function parseAnnotation(b: Buffer, p: number, end: number, base: number, a: AnnotationColumns, i: number, problems: RecordProblem[], strict: boolean): void {
  const start = p;
  if (i >= a.id.length) a.reserve(i);
  if (b[p] !== 0x7b) {
    recordEnd = skipAny(b, p, end, strict);
    report(problems, 'annotation', i, undefined, `expected an object, found ${describeValueAt(b, p)}`, base + p);
    a.id[i] = a.imageId[i] = a.categoryId[i] = NaN;
    a.byteStart[i] = base + start;
    a.byteEnd[i] = base + recordEnd;
    return;
  }
  let seen = 0;
  let id = NaN;
  let imageId = NaN;
  let categoryId = NaN;
  let area = NaN;
  let crowd = 0;
  const bbox = a.bbox;
  const o = 4 * i;
  for (p = firstMember(b, p, end); p >= 0; p = afterMember(b, p, end)) {
    const f = readAnnotationKey(b, p, end);
    p = colon(b, keyEnd, end);
    if (f < 0) {
      // segmentation, and any other field: not needed downstream.
      p = skipAny(b, p, end, strict);
      continue;
    }
    const at = p;
    if (seen & (1 << f)) report(problems, 'annotation', i, ANN_NAMES[f], 'appears twice in the record', base + at);
    seen |= 1 << f;
    if (f === A_BBOX) {
      p = readBbox(b, p, end, bbox, o, strict);
      if (bboxProblem !== '') report(problems, 'annotation', i, 'bbox', bboxProblem, base + at);
      continue;
    }
    const c = b[p]!;
    let v: number | undefined;
    if ((c >= 0x30 && c <= 0x39) || (c === 0x2d && b[p + 1] !== 0x49)) {
      v = readNumber(b, p, end);
      p = numberEnd;
    } else {
      v = readFieldNumber(b, p, end, strict);
      p = valueEnd;
    }
    if (v === undefined) {
      report(problems, 'annotation', i, ANN_NAMES[f], `expected ${f === A_AREA ? 'a number' : f === A_CROWD ? '0 or 1' : 'an integer id'}, found ${describeValueAt(b, at)}`, base + at);
    } else if (f === A_AREA) {
      if (!(v >= 0) || v === Infinity) report(problems, 'annotation', i, 'area', `is ${showNumber(v)}, expected a finite number ≥ 0`, base + at);
      if (v < 0 && v > -Infinity) problems[problems.length - 1]!.negativeArea = true;
      area = v;
    } else if (f === A_CROWD) {
      if (v !== 0 && v !== 1) report(problems, 'annotation', i, 'iscrowd', `is ${showNumber(v)}, expected 0 or 1`, base + at);
      crowd = v === 1 ? 1 : 0;
    } else {
      if (!Number.isInteger(v)) report(problems, 'annotation', i, ANN_NAMES[f], `is ${showNumber(v)}, expected an integer id`, base + at);
      if (f === A_ID) id = v;
      else if (f === A_IMAGE) imageId = v;
      else categoryId = v;
    }
  }
  recordEnd = -1 - p;
  if (!(seen & (1 << A_BBOX))) bbox.fill(NaN, o, o + 4);
  a.id[i] = id;
  a.imageId[i] = imageId;
  a.categoryId[i] = categoryId;
  a.area[i] = area;
  a.iscrowd[i] = crowd;
  a.byteStart[i] = base + start;
  a.byteEnd[i] = base + recordEnd;
  if ((seen & A_REQUIRED_MASK) !== A_REQUIRED_MASK) report(problems, 'annotation', i, undefined, missingFields(ANN_NAMES, A_REQUIRED, seen), base + start);
  if (problems.length !== 0 && Number.isInteger(id)) for (const pr of problems) pr.id = id;
}

/** What was wrong with the last bbox read ('' if nothing). */
let bboxProblem = '';

/** Reads `[x, y, w, h]` into out[o .. o+4); anything else is described in bboxProblem. */
function readBbox(b: Buffer, p: number, end: number, out: Float64Array, o: number, strict: boolean): number {
  const start = p;
  bboxProblem = '';
  let ok = b[p] === 0x5b;
  if (ok) {
    p = skipWs(b, p + 1, end);
    for (let k = 0; k < 4; k++) {
      const c = b[p]!;
      let v: number | undefined;
      if ((c >= 0x30 && c <= 0x39) || (c === 0x2d && b[p + 1] !== 0x49)) {
        v = readNumber(b, p, end);
        p = numberEnd;
      } else {
        v = readFieldNumber(b, p, end, strict);
        p = valueEnd;
      }
      if (v === undefined) {
        ok = false;
        break;
      }
      out[o + k] = v;
      p = skipWs(b, p, end);
      if (k < 3) {
        if (b[p] !== 0x2c) {
          ok = false;
          break;
        }
        p = skipWs(b, p + 1, end);
      }
    }
    ok = ok && b[p] === 0x5d;
  }
  if (!ok) {
    out.fill(NaN, o, o + 4);
    const stop = skipAny(b, start, end, strict);
    bboxProblem = `expected an array of 4 numbers [x, y, width, height], found ${b[start] === 0x5b ? excerpt(b, start, stop) : describeValueAt(b, start)}`;
    return stop;
  }
  for (let k = 0; k < 4; k++) {
    const v = out[o + k]!;
    if (!(v >= 0) || v === Infinity) {
      bboxProblem = `bbox[${k}] is ${showNumber(v)}, expected a finite number ≥ 0`;
      break;
    }
  }
  return p + 1;
}

// ---------------------------------------------------------------------------------------------
// Images

const IMG_NAMES = ['id', 'width', 'height', 'neg_category_ids', 'not_exhaustive_category_ids'] as const;
const IMG_KEYS = IMG_NAMES.map(key);
const I_ID = 0, I_WIDTH = 1, I_HEIGHT = 2, I_NEG = 3, I_NOTEX = 4;
const I_REQUIRED = [I_ID, I_WIDTH, I_HEIGHT];
const I_REQUIRED_MASK = (1 << I_ID) | (1 << I_WIDTH) | (1 << I_HEIGHT);

/** Parses the image record at p into slot i of `im` and sets recordEnd (see parseAnnotation). */
export function parseImage(b: Buffer, p: number, end: number, base: number, im: ImageColumns, i: number, problems: RecordProblem[], strict: boolean): void {
  const start = p;
  if (i >= im.id.length) im.reserve(i);
  const negStart = im.neg.begin(i);
  const notExStart = im.notExhaustive.begin(i);
  let negEnd = negStart;
  let notExEnd = notExStart;
  let seen = 0;
  let id = NaN;
  let width = NaN;
  let height = NaN;
  if (b[p] !== 0x7b) {
    recordEnd = skipAny(b, p, end, strict);
    report(problems, 'image', i, undefined, `expected an object, found ${describeValueAt(b, p)}`, base + p);
  } else {
    for (p = firstMember(b, p, end); p >= 0; p = afterMember(b, p, end)) {
      const f = readKey(b, p, end, IMG_KEYS, IMG_NAMES);
      p = colon(b, keyEnd, end);
      if (f < 0) {
        p = skipAny(b, p, end, strict);
        continue;
      }
      const at = p;
      if (seen & (1 << f)) report(problems, 'image', i, IMG_NAMES[f], 'appears twice in the record', base + at);
      seen |= 1 << f;
      if (f === I_NEG || f === I_NOTEX) {
        const lists = f === I_NEG ? im.neg : im.notExhaustive;
        const from = f === I_NEG ? negStart : notExStart;
        p = readIdList(b, p, end, lists, from, strict);
        if (listProblem !== '') report(problems, 'image', i, IMG_NAMES[f], listProblem, base + at);
        if (f === I_NEG) negEnd = listEnd;
        else notExEnd = listEnd;
        continue;
      }
      const v = readFieldNumber(b, p, end, strict);
      p = valueEnd;
      if (v === undefined) {
        report(problems, 'image', i, IMG_NAMES[f], `expected ${f === I_ID ? 'an integer id' : 'a number'}, found ${describeValueAt(b, at)}`, base + at);
      } else if (f === I_ID) {
        if (!Number.isInteger(v)) report(problems, 'image', i, 'id', `is ${showNumber(v)}, expected an integer id`, base + at);
        id = v;
      } else {
        if (!(v > 0) || v === Infinity) report(problems, 'image', i, IMG_NAMES[f], `is ${showNumber(v)}, expected a finite number > 0`, base + at);
        if (f === I_WIDTH) width = v;
        else height = v;
      }
    }
    recordEnd = -1 - p;
    if ((seen & I_REQUIRED_MASK) !== I_REQUIRED_MASK) report(problems, 'image', i, undefined, missingFields(IMG_NAMES, I_REQUIRED, seen), base + start);
  }
  im.id[i] = id;
  im.width[i] = width;
  im.height[i] = height;
  im.byteStart[i] = base + start;
  im.byteEnd[i] = base + recordEnd;
  im.neg.end(i, negEnd);
  im.notExhaustive.end(i, notExEnd);
  if (problems.length !== 0 && Number.isInteger(id)) for (const pr of problems) pr.id = id;
}

/** What was wrong with the last id list read ('' if nothing), and where its values end. */
let listProblem = '';
let listEnd = 0;

/**
 * Reads an array of integer ids into `lists` from position `from`, setting listEnd. A value
 * that is not such an array leaves the list empty and is described in listProblem.
 */
function readIdList(b: Buffer, p: number, end: number, lists: IdLists, from: number, strict: boolean): number {
  const start = p;
  listProblem = '';
  listEnd = from;
  if (b[p] === 0x5b) {
    p = skipWs(b, p + 1, end);
    if (b[p] === 0x5d) return p + 1;
    for (let k = 0; ; k++) {
      const v = readFieldNumber(b, p, end, strict);
      if (v === undefined || !Number.isInteger(v)) {
        listProblem = `element ${k} is ${v === undefined ? describeValueAt(b, p) : showNumber(v)}, expected an array of integer category ids`;
        listEnd = from;
        return skipAny(b, start, end, strict);
      }
      lists.push(listEnd++, v);
      p = skipWs(b, valueEnd, end);
      if (b[p] === 0x5d) return p + 1;
      if (b[p] !== 0x2c) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after an array element, expected ',' or ']'`);
      p = skipWs(b, p + 1, end);
    }
  }
  listProblem = `expected an array of integer category ids, found ${describeValueAt(b, start)}`;
  return skipAny(b, start, end, strict);
}
