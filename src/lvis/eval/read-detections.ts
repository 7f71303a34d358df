/**
 * Reading a results file (a JSON list of detections, LVIS/COCO results format, plain or .gz,
 * of any size) straight into DetectionColumns, in one streaming pass over its bytes through
 * the project's byte window (json/byte-window.ts): each detection is read in place by
 * detection-scan.ts (its four fields and where its `segmentation` is; every other member
 * skipped), its mask by detection-masks.ts when one is needed, no object per detection and
 * never the whole file as a string.
 *
 * Every bad detection is collected (the first MAX_REPORTED listed, the rest counted) and
 * reported together as a DiagnosticError with the file, the byte offset, line:col and the
 * detection's text. A JSON syntax error stops the pass at once, located the same way.
 */
import { stat } from 'node:fs/promises';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { ByteWindow } from '../json/byte-window.js';
import { fileEncoding } from '../source/encoding.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipWs } from '../json/grammar.js';
import { diagnosticAt, diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { FIELD_BIT, SEGMENTATION, detection, scanDetection } from './detection-scan.js';
import { DetectionMaskReader, type DetectionMaskOptions } from './detection-masks.js';
import { DetectionColumns } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { MAX_REPORTED } from './problems.js';

export interface ReadDetectionsOptions {
  /** What to read of the detections' masks (detection-masks.ts); default: only what boxes need. */
  masks?: DetectionMaskOptions;
  signal?: AbortSignal;
  /** Bytes of the file on disk read so far (compressed bytes for .gz) and its size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Initial read window in bytes (tests use small values to cross window borders). */
  windowBytes?: number;
}

export interface ReadDetectionsResult {
  columns: DetectionColumns;
  /** The masks read, and what was met on the way. */
  masks: DetectionMaskReader;
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

/**
 * Reads the detections of `path` into columns indexed against `gt`. Throws DiagnosticError for
 * malformed JSON (at its byte offset and line:col) or any bad detection (all of them listed
 * together): an image the GT does not have, a bbox that is not 4 finite numbers, a missing or
 * non-numeric field, a mask that is not one of the image's size. A category the GT does not
 * have is not an error: the API drops such detections (select.ts).
 */
export async function readDetections(path: string, gt: GtIndex, opts: ReadDetectionsOptions = {}): Promise<ReadDetectionsResult> {
  const columns = new DetectionColumns(gt, await capacityGuess(path));
  const masks = new DetectionMaskReader(gt, opts.masks ?? { store: false, areasOfAll: false });
  if (opts.masks?.store) columns.masks = masks.store;
  const read = new DetectionSink(columns, masks);
  const w = await ByteWindow.open(path, opts.windowBytes);
  // Where the driver is: before '[', before the first element or ']', before an element
  // (after a comma), after an element, after the closing ']'.
  const BEFORE_ARRAY = 0, FIRST = 1, ELEMENT = 2, AFTER_ELEMENT = 3, AFTER_ARRAY = 4;
  let state = BEFORE_ARRAY;
  let pos = 0;
  try {
    pos = await w.refill(0);
    if (w.buf[pos] === 0xef && w.buf[pos + 1] === 0xbb && w.buf[pos + 2] === 0xbf) pos += 3; // UTF-8 BOM
    for (;;) {
      try {
        const b = w.buf;
        const end = w.len;
        for (;;) {
          pos = skipWs(b, pos, end);
          const c = b[pos]!;
          if (state === AFTER_ARRAY) {
            throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after the list of detections, expected the end of the file`);
          } else if (state === BEFORE_ARRAY) {
            if (c !== 0x5b) throw new JsonSyntaxError(pos, `expected a JSON array of detections at the top level, found ${c === 0x7b ? 'an object' : describeByte(c)}`);
            pos++;
            state = FIRST;
          } else if ((state === FIRST || state === AFTER_ELEMENT) && c === 0x5d) {
            pos++;
            state = AFTER_ARRAY;
          } else if (state === AFTER_ELEMENT) {
            if (c !== 0x2c) throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after detection #${read.index - 1}, expected ',' or ']'`);
            pos++;
            state = ELEMENT;
          } else {
            // One detection; on NEED_MORE the window is refilled from its start and it is read again.
            pos = read.detection(b, pos, end, w.base);
            state = AFTER_ELEMENT;
          }
        }
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        if (w.eof) {
          if (state === AFTER_ARRAY) break;
          const what = state === BEFORE_ARRAY ? 'expected a JSON array of detections at the top level, found an empty file' : `the file ends inside the list of detections (after ${read.index} detections): it is truncated`;
          throw new JsonSyntaxError(w.len, what);
        }
        opts.signal?.throwIfAborted();
        pos = await w.refill(pos);
        opts.onProgress?.(w.diskBytesRead, w.diskBytes);
      }
    }
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      const at = state === ELEMENT || state === FIRST ? `detection #${read.index}: ` : '';
      throw new DiagnosticError([await diagnosticAt(path, w.base + err.pos, `${at}${err.message}`)]);
    }
    throw err;
  } finally {
    await w.close();
  }
  if (read.badCount > 0) throw await badDetectionsError(path, read.bad, read.badCount);
  return { columns, masks, count: read.index, textBytes: w.base + w.len };
}

/** Where readDetections puts each detection: the columns (and masks), or the list of bad ones. */
class DetectionSink {
  /** The next detection's index in the file. */
  index = 0;
  readonly bad: BadDetection[] = [];
  badCount = 0;

  constructor(
    private readonly columns: DetectionColumns,
    private readonly masks: DetectionMaskReader,
  ) {}

  /** Reads the detection at b[start ..) (the window starts at byte `base` of the file); the position after it, or NEED_MORE thrown. */
  detection(b: Buffer, start: number, end: number, base: number): number {
    const pos = scanDetection(b, start, end, this.masks.inPlace);
    let problem = detection.problem;
    if (problem !== undefined) this.columns.reject(problem);
    else problem = this.masks.add(this.columns, b, base + start);
    if (problem !== undefined && this.badCount++ < MAX_REPORTED) this.bad.push({ index: this.index, offset: base + start, message: problem, text: preview(b, start, pos) });
    this.index++;
    return pos;
  }
}

/** A detection's text for messages: whitespace collapsed, shortened. */
function preview(b: Buffer, start: number, stop: number): string {
  const s = b.subarray(start, Math.min(stop, start + 400)).toString('utf8').replace(/\s+/g, ' ');
  return s.length > 160 || stop - start > 400 ? `${s.slice(0, 160)}…` : s;
}

/** Detections to allocate for at first: a plain file's size at ~80 bytes per detection, at most 2M (~140 MB; the columns grow past it). */
async function capacityGuess(path: string): Promise<number> {
  try {
    if ((await fileEncoding(path)) !== 'plain') return 1 << 16;
    return Math.max(1024, Math.min(1 << 21, Math.ceil((await stat(path)).size / 80)));
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

/**
 * Whether the first detection of `path` has a `segmentation` (detectron2 and mmdetection give
 * masks to all of their detections or to none), from its first megabyte; false when it cannot
 * tell (readDetections then says what is wrong). Lets mask AP start on the GT before the
 * detections are read.
 */
export async function firstDetectionHasMask(path: string): Promise<boolean> {
  let w: ByteWindow | undefined;
  try {
    w = await ByteWindow.open(path, 1 << 20);
    let p = await w.refill(0);
    const b = w.buf;
    if (b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
    p = skipWs(b, p, w.len);
    if (b[p] !== 0x5b) return false;
    p = skipWs(b, p + 1, w.len);
    scanDetection(b, p, w.len);
    return (detection.has & FIELD_BIT[SEGMENTATION]!) !== 0;
  } catch {
    return false;
  } finally {
    await w?.close();
  }
}
