/**
 * Reading a results file (a JSON list of detections, LVIS/COCO results format, plain or .gz,
 * of any size) straight into DetectionColumns: streamed through the byte-level JSON reader
 * (json/top-level-array.ts), each detection's four fields read from its bytes in place, no
 * object per detection and never the whole file as a string.
 *
 * Each detection is an object with `image_id`, `category_id`, `bbox` ([x, y, w, h]) and
 * `score`; any other member (`segmentation`, `area`, `id`, ...) is skipped unread. A repeated
 * key counts with its last value, as Python's json module (and JSON.parse) read it.
 *
 * Every bad detection is collected (the first MAX_REPORTED listed, the rest counted) and
 * reported together as a DiagnosticError with the file, the byte offset, line:col and the
 * detection's text.
 */
import { stat } from 'node:fs/promises';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipString, skipWs } from '../json/grammar.js';
import { skipElement } from '../json/fast-skip.js';
import { diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { bytesEqual, numberEnd, readNumber, readString } from '../json/read-values.js';
import { streamTopLevelArray } from '../json/top-level-array.js';
import { isGzipFile } from '../json/byte-window.js';
import { DetectionColumns } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { MAX_REPORTED } from './problems.js';

export interface ReadDetectionsOptions {
  signal?: AbortSignal;
  /** Bytes of the file on disk read so far (compressed bytes for .gz) and its size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Initial read window in bytes (tests use small values to cross window borders). */
  windowBytes?: number;
}

export interface ReadDetectionsResult {
  columns: DetectionColumns;
  /** Detections in the file (all of them were good, or an error was thrown). */
  count: number;
  /** Size of the (decompressed) JSON text. */
  textBytes: number;
}

/** A bad detection, located after the pass. */
interface BadDetection {
  index: number;
  offset: number;
  message: string;
  text: string;
}

/** Where the parser puts a detection's values: image_id, category_id, x, y, w, h, score. */
const values = new Float64Array(7);
const IMAGE = 0, CATEGORY = 1, BOX = 2, SCORE = 6;
const HAVE_ALL = 0b1111;
const KEY_IMAGE = Buffer.from('image_id');
const KEY_CATEGORY = Buffer.from('category_id');
const KEY_BBOX = Buffer.from('bbox');
const KEY_SCORE = Buffer.from('score');

/**
 * Reads the detections of `path` into columns indexed against `gt`. Throws DiagnosticError for
 * malformed JSON (at its byte offset and line:col) or any bad detection (all of them listed
 * together): an image or category the GT does not have, a bbox that is not 4 finite numbers,
 * a missing or non-numeric field.
 */
export async function readDetections(path: string, gt: GtIndex, opts: ReadDetectionsOptions = {}): Promise<ReadDetectionsResult> {
  const columns = new DetectionColumns(gt, await capacityGuess(path));
  const bad: BadDetection[] = [];
  let badCount = 0;
  const fail = (bytes: Buffer, index: number, offset: number, message: string) => {
    if (badCount++ < MAX_REPORTED) bad.push({ index, offset, message, text: preview(bytes) });
  };
  const { count, textBytes } = await streamTopLevelArray(
    path,
    (bytes, start, index) => {
      let problem: string | undefined;
      let at = start;
      try {
        problem = parseDetection(bytes);
      } catch (err) {
        if (!(err instanceof JsonSyntaxError)) throw err;
        problem = `not valid JSON: ${err.message}`;
        at = start + err.pos;
      }
      if (problem !== undefined) {
        columns.reject(problem);
        fail(bytes, index, at, problem);
        return;
      }
      const p = columns.add(values[IMAGE]!, values[CATEGORY]!, values[BOX]!, values[BOX + 1]!, values[BOX + 2]!, values[BOX + 3]!, values[SCORE]!);
      if (p !== undefined) fail(bytes, index, start, p.message);
    },
    {
      label: 'detections',
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.windowBytes !== undefined ? { windowBytes: opts.windowBytes } : {}),
    },
  );
  if (badCount > 0) throw await badDetectionsError(path, bad, badCount);
  return { columns, count, textBytes };
}

/**
 * Reads one detection (the complete element `b`) into `values`; returns what is wrong with it,
 * or undefined. Throws JsonSyntaxError (pos within `b`) where the bytes are not JSON.
 */
function parseDetection(b: Buffer): string | undefined {
  const end = b.length;
  let p = 0;
  if (b[p] !== 0x7b) return `expected an object {"image_id", "category_id", "bbox", "score"}, found ${preview(b)}`;
  let have = 0;
  try {
    p = skipWs(b, p + 1, end);
    if (b[p] !== 0x7d) {
      for (;;) {
        if (b[p] !== 0x22) throw new JsonSyntaxError(p, `expected a '"' starting a key, found ${describeByte(b[p])}`);
        const keyEnd = skipString(b, p, end);
        const field = fieldOf(b, p, keyEnd);
        p = skipWs(b, keyEnd, end);
        if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `expected ':' after a key, found ${describeByte(b[p])}`);
        p = skipWs(b, p + 1, end);
        if (field === BOX) {
          const stop = readBox(b, p, end);
          if (stop < 0) return `"bbox" must be 4 finite numbers [x, y, w, h], found ${valueText(b, p, end)}`;
          p = stop;
          have |= 1 << 2;
        } else if (field >= 0) {
          const c = b[p]!;
          if (c !== 0x2d && !(c >= 0x30 && c <= 0x39)) return `${FIELD_NAMES[field]} must be a number, found ${valueText(b, p, end)}`;
          values[field] = readNumber(b, p, end);
          p = numberEnd;
          have |= 1 << (field === SCORE ? 3 : field);
        } else {
          p = skipElement(b, p, end);
        }
        p = skipWs(b, p, end);
        if (b[p] === 0x2c) p = skipWs(b, p + 1, end);
        else if (b[p] === 0x7d) break;
        else throw new JsonSyntaxError(p, `expected ',' or '}' after a member, found ${describeByte(b[p])}`);
      }
    }
  } catch (err) {
    if (err === NEED_MORE) throw new JsonSyntaxError(end, 'the detection ends early');
    throw err;
  }
  if (have !== HAVE_ALL) {
    const missing = [0, 1, 2, 3].filter((k) => !(have & (1 << k))).map((k) => ['"image_id"', '"category_id"', '"bbox"', '"score"'][k]);
    return `missing ${missing.join(', ')} (a detection needs "image_id", "category_id", "bbox" [x, y, w, h] and "score")`;
  }
  return undefined;
}

const FIELD_NAMES: Record<number, string> = { [IMAGE]: '"image_id"', [CATEGORY]: '"category_id"', [SCORE]: '"score"' };

/** Which value a key names (IMAGE, CATEGORY, BOX, SCORE), or -1 for any other key. */
function fieldOf(b: Buffer, p: number, keyEnd: number): number {
  const s = p + 1;
  const e = keyEnd - 1;
  if (bytesEqual(b, s, e, KEY_IMAGE)) return IMAGE;
  if (bytesEqual(b, s, e, KEY_CATEGORY)) return CATEGORY;
  if (bytesEqual(b, s, e, KEY_BBOX)) return BOX;
  if (bytesEqual(b, s, e, KEY_SCORE)) return SCORE;
  if (b.indexOf(0x5c, s) >= 0 && b.indexOf(0x5c, s) < e) {
    // An escaped key ("\u0062box"): rare, decoded to compare.
    const key = readString(b, p, keyEnd);
    return key === 'image_id' ? IMAGE : key === 'category_id' ? CATEGORY : key === 'bbox' ? BOX : key === 'score' ? SCORE : -1;
  }
  return -1;
}

/** Reads `[x, y, w, h]` at p into values[BOX..]; returns the position after it, or -1 if it is not an array of 4 numbers. */
function readBox(b: Buffer, p: number, end: number): number {
  if (b[p] !== 0x5b) return -1;
  p = skipWs(b, p + 1, end);
  for (let k = 0; k < 4; k++) {
    const c = b[p]!;
    if (c !== 0x2d && !(c >= 0x30 && c <= 0x39)) return -1;
    values[BOX + k] = readNumber(b, p, end);
    p = skipWs(b, numberEnd, end);
    if (b[p] === (k === 3 ? 0x5d : 0x2c)) p = skipWs(b, p + 1, end);
    else return -1;
  }
  return p;
}

/** The text of the value at p (shortened), for messages. */
function valueText(b: Buffer, p: number, end: number): string {
  let stop: number;
  try {
    stop = skipElement(b, p, end);
  } catch {
    stop = end;
  }
  return shorten(b.subarray(p, stop).toString('utf8'), 80);
}

function preview(bytes: Buffer): string {
  return shorten(bytes.subarray(0, 400).toString('utf8').replace(/\s+/g, ' '), 160);
}

function shorten(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** Detections to allocate for at first: a plain file's size at ~80 bytes per detection (columns grow if needed). */
async function capacityGuess(path: string): Promise<number> {
  try {
    if (await isGzipFile(path)) return 1 << 16;
    return Math.max(1024, Math.min(1 << 24, Math.ceil((await stat(path)).size / 80)));
  } catch {
    return 1024; // the reader reports why the file cannot be read
  }
}

async function badDetectionsError(path: string, bad: BadDetection[], total: number): Promise<DiagnosticError> {
  // line:col of every listed detection, in one more pass over the file (never on the hot path).
  const positions = await locateOffsets(path, bad.map((b) => b.offset));
  const diagnostics: Diagnostic[] = bad.map((b) => {
    const d = diagnosticWithPosition(path, b.offset, positions.get(b.offset)!, `detection #${b.index}: ${b.message}`);
    if (d.sourceLine === undefined) d.message = `detection #${b.index}: ${b.message}\n    the detection: ${b.text}`;
    return d;
  });
  if (total > bad.length) {
    diagnostics.push({ severity: 'error', message: `… and ${total - bad.length} more bad detection(s) (${total} in all)`, location: { file: displayPath(path) } });
  }
  return new DiagnosticError(diagnostics);
}
