/**
 * A `segmentation` value read from the bytes of a GT annotation or a detection, in one of the
 * forms pycocotools takes (COCO's "polygons or RLE"): a list of polygons (rings of x, y numbers),
 * an RLE object `{"size": [h, w], "counts": …}` with the counts as a compressed string or a list
 * of numbers, or (rarely) a list of such objects. Only the JSON is read here; what the values
 * mean (rasterising, checking sizes) is segmentation-rle.ts.
 *
 * The JSON grammar is checked (a syntax error throws JsonSyntaxError at its position); a
 * well-formed value of the wrong shape gives a message instead (`SegmentationJson.problem`).
 */
import { JsonSyntaxError, describeByte, skipString, skipValue, skipWs } from '../json/grammar.js';
import { bytesEqual, numberEnd, readNumber, readShortDecimal, readString } from '../json/read-values.js';
import { nextBackslash } from '../json/fast-skip.js';

export type SegmentationJson =
  | { kind: 'polygons'; rings: ArrayLike<number>[] }
  | { kind: 'rle'; rle: RleJson }
  | { kind: 'rle-list'; rles: RleJson[] }
  | { kind: 'problem'; problem: string };

/** An RLE object: `size`, and `counts` as a string (its bytes, unescaped: valid until the next parse) or a list of numbers. */
export interface RleJson {
  size: number[] | undefined;
  /** The compressed string: b[start, end) of `bytes`. */
  string?: { bytes: Uint8Array; start: number; end: number };
  list?: number[];
  problem?: string;
}

/** End of the value parseSegmentation read. */
export let segmentationEnd = 0;

/** The segmentation value at p (window b, up to end); segmentationEnd is set after it. */
export function parseSegmentation(b: Buffer, p: number, end: number): SegmentationJson {
  const c = b[p];
  if (c === 0x7b) {
    const rle = parseRle(b, p, end);
    return rle.problem !== undefined ? { kind: 'problem', problem: rle.problem } : { kind: 'rle', rle };
  }
  if (c !== 0x5b) return problemAfter(b, p, end, `"segmentation" must be a list of polygons or an RLE object {"size", "counts"}, found ${describeValue(b, p)}`);
  const first = skipWs(b, p + 1, end);
  if (b[first] === 0x7b) return parseRleList(b, p, end);
  if (b[first] === 0x5b) return parseRings(b, p, end);
  const what = b[first] === 0x5d ? 'an empty list' : `a list of ${describeValue(b, first)}s`;
  return problemAfter(b, p, end, `"segmentation" is ${what}; pycocotools needs a list of polygons [[x1, y1, x2, y2, …], …] or an RLE object`);
}

function problemAfter(b: Buffer, p: number, end: number, problem: string): SegmentationJson {
  segmentationEnd = skipValue(b, p, end);
  return { kind: 'problem', problem };
}

let ringScratch: Float64Array = new Float64Array(4096);

/**
 * `[[x, y, …], …]`: every ring a list of numbers, read into one reused buffer (the rings are
 * views of it, valid until the next parse): GT polygons are most of a GT file's bytes.
 */
function parseRings(b: Buffer, p: number, end: number): SegmentationJson {
  const rings: Float64Array[] = [];
  const bounds: number[] = [];
  let n = 0;
  let problem: string | undefined;
  p = listItems(b, p, end, (q, index) => {
    if (b[q] !== 0x5b) {
      problem ??= `polygon #${index} of "segmentation" is ${describeValue(b, q)}, not a list of numbers`;
      return skipValue(b, q, end);
    }
    bounds.push(n);
    q = skipWs(b, q + 1, end);
    if (b[q] === 0x5d) return q + 1;
    for (let k = 0; ; k++) {
      const c = b[q]!;
      if (c !== 0x2d && (c < 0x30 || c > 0x39)) {
        problem ??= `polygon #${index} of "segmentation" has ${describeValue(b, q)} at position ${k}; a polygon is a list of finite numbers`;
        q = skipValue(b, q, end);
      } else {
        let v = readShortDecimal(b, q, end);
        if (v !== v) v = readNumber(b, q, end); // (anything but a short decimal: NaN)
        if (!Number.isFinite(v)) problem ??= `polygon #${index} of "segmentation" has a number too large for a double at position ${k}`;
        if (n === ringScratch.length) ringScratch = grown(ringScratch);
        ringScratch[n++] = v;
        q = numberEnd;
      }
      q = skipWs(b, q, end);
      if (b[q] === 0x2c) q = skipWs(b, q + 1, end);
      else if (b[q] === 0x5d) return q + 1;
      else throw new JsonSyntaxError(q, `unexpected ${describeByte(b[q])} after a number of a polygon, expected ',' or ']'`);
    }
  });
  segmentationEnd = p;
  bounds.push(n);
  for (let i = 0; i + 1 < bounds.length; i++) rings.push(ringScratch.subarray(bounds[i], bounds[i + 1]));
  return problem !== undefined ? { kind: 'problem', problem } : { kind: 'polygons', rings };
}

function grown(a: Float64Array): Float64Array {
  const b = new Float64Array(2 * a.length);
  b.set(a);
  return b;
}

function parseRleList(b: Buffer, p: number, end: number): SegmentationJson {
  const rles: RleJson[] = [];
  let problem: string | undefined;
  p = listItems(b, p, end, (q, index) => {
    if (b[q] !== 0x7b) {
      problem ??= `"segmentation" is a list of RLE objects, but item #${index} is ${describeValue(b, q)}`;
      return skipValue(b, q, end);
    }
    const rle = parseRle(b, q, end);
    if (rle.problem !== undefined) problem ??= `RLE #${index} of "segmentation": ${rle.problem}`;
    rles.push(rle);
    return segmentationEnd;
  });
  segmentationEnd = p;
  return problem !== undefined ? { kind: 'problem', problem } : { kind: 'rle-list', rles };
}

/** `{"size": [h, w], "counts": "…" | [n, …]}`; other members are skipped. */
function parseRle(b: Buffer, p: number, end: number): RleJson {
  const rle: RleJson = { size: undefined };
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x7d) p++;
  else {
    for (;;) {
      if (b[p] !== 0x22) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} in an RLE object, expected a '"' starting a key`);
      const key = rleKey(b, p, end);
      p = skipWs(b, keyEnd, end);
      if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a key, expected ':'`);
      p = skipWs(b, p + 1, end);
      if (key === 'size') p = readSize(b, p, end, rle);
      else if (key === 'counts') p = readCounts(b, p, end, rle);
      else p = skipValue(b, p, end);
      p = skipWs(b, p, end);
      if (b[p] === 0x2c) p = skipWs(b, p + 1, end);
      else if (b[p] === 0x7d) {
        p++;
        break;
      } else throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a member of an RLE object, expected ',' or '}'`);
    }
  }
  segmentationEnd = p;
  if (rle.problem === undefined && (rle.size === undefined || (rle.string === undefined && rle.list === undefined))) {
    rle.problem = `an RLE object needs "size": [height, width] and "counts"`;
  }
  return rle;
}

const KEY_SIZE = Buffer.from('"size"');
const KEY_COUNTS = Buffer.from('"counts"');
let keyEnd = 0;

/** The key at p ('size', 'counts' or another), compared as bytes when it has no escape; keyEnd after it. */
function rleKey(b: Buffer, p: number, end: number): string {
  keyEnd = skipString(b, p, end);
  if (bytesEqual(b, p, keyEnd, KEY_SIZE)) return 'size';
  if (bytesEqual(b, p, keyEnd, KEY_COUNTS)) return 'counts';
  return readString(b, p, end);
}

function readSize(b: Buffer, p: number, end: number, rle: RleJson): number {
  const size = b[p] === 0x5b ? numberList(b, p, end) : undefined;
  const stop = size ? segmentationEnd : skipValue(b, p, end);
  if (!size || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v >= 0)) {
    rle.problem ??= `"size" must be [height, width] (two whole numbers), found ${describeValue(b, p)}`;
  } else rle.size = size;
  return stop;
}

function readCounts(b: Buffer, p: number, end: number, rle: RleJson): number {
  if (b[p] === 0x22) {
    const stop = skipString(b, p, end);
    const bs = nextBackslash(b, p);
    rle.string = bs < 0 || bs >= stop ? { bytes: b, start: p + 1, end: stop - 1 } : unescaped(b, p, stop, end);
    return stop;
  }
  const list = b[p] === 0x5b ? numberList(b, p, end) : undefined;
  const stop = list ? segmentationEnd : skipValue(b, p, end);
  if (!list || !list.every((v) => Number.isInteger(v) && v >= 0)) {
    rle.problem ??= `"counts" must be a compressed string or a list of whole numbers ≥ 0, found ${list ? `[${list.slice(0, 6).join(', ')}${list.length > 6 ? ', …' : ''}]` : describeValue(b, p)}`;
  } else rle.list = list;
  return stop;
}

/** The list of finite numbers at p ('['), with segmentationEnd after it; undefined (and p unread) if an element is anything else. */
function numberList(b: Buffer, p: number, end: number): number[] | undefined {
  const out: number[] = [];
  let ok = true;
  const stop = listItems(b, p, end, (q) => {
    const v = ok ? numberAt(b, q, end) : undefined;
    if (v === undefined) {
      ok = false;
      return skipValue(b, q, end);
    }
    out.push(v);
    return numberEnd;
  });
  segmentationEnd = stop;
  return ok ? out : undefined;
}

let unescapeBuffer = Buffer.alloc(1024);

/**
 * The text of the string b[p, stop) (quotes included) without its escapes, in a buffer reused
 * by the next call. Compressed counts hold one character that JSON escapes, the backslash
 * (`\\`), and maybe an escaped slash; anything else goes through the full decoder.
 */
function unescaped(b: Buffer, p: number, stop: number, end: number): { bytes: Uint8Array; start: number; end: number } {
  if (unescapeBuffer.length < stop - p) unescapeBuffer = Buffer.alloc(2 * (stop - p));
  const out = unescapeBuffer;
  let n = 0;
  for (let i = p + 1; i < stop - 1; i++) {
    let c = b[i]!;
    if (c === 0x5c) {
      c = b[++i]!;
      if (c !== 0x5c && c !== 0x2f) {
        const text = Buffer.from(readString(b, p, end), 'latin1');
        return { bytes: text, start: 0, end: text.length };
      }
    }
    out[n++] = c;
  }
  return { bytes: out, start: 0, end: n };
}

/** Calls item(position, index) for each element of the list at p ('['); returns the position after ']'. */
function listItems(b: Buffer, p: number, end: number, item: (q: number, index: number) => number): number {
  p = skipWs(b, p + 1, end);
  if (b[p] === 0x5d) return p + 1;
  for (let index = 0; ; index++) {
    p = skipWs(b, item(p, index), end);
    if (b[p] === 0x2c) p = skipWs(b, p + 1, end);
    else if (b[p] === 0x5d) return p + 1;
    else throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after a list element, expected ',' or ']'`);
  }
}

/** The finite number at p (numberEnd after it), or undefined for any other value. */
function numberAt(b: Buffer, p: number, end: number): number | undefined {
  const c = b[p]!;
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return undefined;
  const v = readNumber(b, p, end);
  return Number.isFinite(v) ? v : undefined;
}

/** What kind of JSON value starts at p, for messages. */
function describeValue(b: Uint8Array, p: number): string {
  const c = b[p];
  if (c === 0x22) return 'a string';
  if (c === 0x5b) return 'a list';
  if (c === 0x7b) return 'an object';
  if (c === 0x74 || c === 0x66) return 'a boolean';
  if (c === 0x6e) return 'null';
  if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return 'a number';
  return describeByte(c);
}
