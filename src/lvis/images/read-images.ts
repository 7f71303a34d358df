/**
 * The `images` records of an LVIS/COCO JSON file (plain, gzip or zip), streamed: each record's
 * `id`, `coco_url`, `width` and `height`. The other members (the annotations: most of the
 * bytes) are skipped without being parsed; an image record (a few hundred bytes) is parsed whole.
 */
import { ByteWindow } from '../json/byte-window.js';
import { skipElement } from '../json/fast-skip.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipWs } from '../json/grammar.js';
import { diagnosticAt } from '../json/locate.js';
import { numberEnd, readString } from '../json/read-values.js';
import { DiagnosticError } from '../../base/diagnostic.js';

export interface ImageRecord {
  /** Index in the file's `images`. */
  index: number;
  id: unknown;
  cocoUrl: unknown;
  width: unknown;
  height: unknown;
}

// Where the walk is: before '{', at a key (or '}' first), after a member, in an array member
// (before its first element or ']', before an element, after one), after the top-level object.
// Array members are walked element by element, `images` or not: the annotations array is most of
// a file, far more than a window holds.
const OBJECT = 0, FIRST_KEY = 1, KEY = 2, AFTER_MEMBER = 3, FIRST = 4, NEXT = 5, AFTER = 6, DONE = 7;

/** A member's key and the start of its value: an array is entered, any other value skipped. */
function member(b: Buffer, pos: number, end: number, walk: { images: boolean }): [number, number] {
  const key = readString(b, pos, end);
  let p = skipWs(b, numberEnd, end);
  if (p >= end) throw NEED_MORE;
  if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after the key ${JSON.stringify(key)}, expected ':'`);
  p = skipWs(b, p + 1, end);
  if (p >= end) throw NEED_MORE;
  if (key === 'images' && b[p] !== 0x5b) throw new JsonSyntaxError(p, `"images" must be an array, found ${describeByte(b[p])}`);
  if (b[p] === 0x5b) {
    walk.images = key === 'images';
    return [p + 1, FIRST];
  }
  const stop = skipElement(b, p, end);
  skipWs(b, stop, end); // the delimiter after it must be in the window too
  return [stop, AFTER_MEMBER];
}

/** One token (or one whole element) from `pos`: the new position and state. */
function step(b: Buffer, pos: number, end: number, state: number, walk: { images: boolean }, onImage: (bytes: Buffer) => void): [number, number] {
  pos = skipWs(b, pos, end);
  if (pos >= end) throw NEED_MORE;
  const c = b[pos]!;
  switch (state) {
    case OBJECT:
      if (c !== 0x7b) throw new JsonSyntaxError(pos, `expected a JSON object at the top level, found ${describeByte(c)}`);
      return [pos + 1, FIRST_KEY];
    case FIRST_KEY:
    case KEY:
      if (c === 0x7d && state === FIRST_KEY) return [pos + 1, DONE];
      if (c !== 0x22) throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)}, expected a key`);
      return member(b, pos, end, walk);
    case AFTER_MEMBER:
      if (c === 0x2c) return [pos + 1, KEY];
      if (c === 0x7d) return [pos + 1, DONE];
      throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after a top-level member, expected ',' or '}'`);
    case FIRST:
    case NEXT: {
      if (c === 0x5d && state === FIRST) return [pos + 1, AFTER_MEMBER];
      const stop = skipElement(b, pos, end);
      skipWs(b, stop, end);
      if (walk.images) onImage(b.subarray(pos, stop));
      return [stop, AFTER];
    }
    case AFTER:
      if (c === 0x2c) return [pos + 1, NEXT];
      if (c === 0x5d) return [pos + 1, AFTER_MEMBER];
      throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after an element of an array, expected ',' or ']'`);
    default:
      throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after the top-level object`);
  }
}

function record(bytes: Buffer, index: number): ImageRecord {
  const r = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  const o = typeof r === 'object' && r !== null ? r : {};
  return { index, id: o.id, cocoUrl: o.coco_url, width: o.width, height: o.height };
}

/** Every record of the `images` array of `path`, in file order. */
export async function readImageRecords(path: string, signal?: AbortSignal, windowBytes?: number): Promise<ImageRecord[]> {
  const out: ImageRecord[] = [];
  const w = await ByteWindow.open(path, windowBytes);
  let pos = 0;
  let state = OBJECT;
  const walk = { images: false };
  try {
    pos = await w.refill(0);
    for (;;) {
      try {
        for (;;) [pos, state] = step(w.buf, pos, w.len, state, walk, (bytes) => out.push(record(bytes, out.length)));
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        if (w.eof) break;
        signal?.throwIfAborted();
        pos = await w.refill(pos);
      }
    }
    if (state !== DONE) throw new JsonSyntaxError(w.len, 'unexpected end of input: the file is truncated');
    return out;
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new DiagnosticError([await diagnosticAt(path, w.base + err.pos, err.message)]);
    throw err;
  } finally {
    await w.close();
  }
}
