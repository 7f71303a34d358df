/**
 * The streaming pass of `load`: walks the top-level object of an LVIS/COCO file member by
 * member, reads image and annotation records in place (load-records.ts), keeps category
 * records and the other members as source text, and collects bad records. No ids are resolved
 * here (load.ts does that once the whole file is read).
 *
 * A scan can also cover part of a file, which is how load-parallel.ts splits a large file
 * between two threads: `startAt` begins inside an array of records, at a record boundary found
 * by the caller; `stopAt` ends the scan just before the record that starts at a given offset,
 * and reports whether it met that boundary exactly (which proves the guess right).
 */
import type { RawJson } from '../dataset/dataset.js';
import { ByteWindow } from '../json/byte-window.js';
import type { TextEncoding } from '../source/encoding.js';
import { skipElement } from '../json/fast-skip.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipValue, skipWs } from '../json/grammar.js';
import { numberEnd, readString } from '../json/read-values.js';
import { parseCategory, type ParsedCategory } from './categories.js';
import { AnnotationColumns, ImageColumns } from './columns.js';
import { parseAnnotation, parseImage, recordEnd, type RecordProblem } from './records.js';

export interface ScanOptions {
  signal?: AbortSignal;
  /** Bytes of the file on disk read so far (compressed bytes for gzip and zip) and its size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** How many bad records to keep in full (the rest are counted). */
  maxErrors?: number;
  /** Initial read window in bytes (tests use tiny windows to exercise refills). */
  windowBytes?: number;
  /** Also compute the sha256 of the file's bytes as they are read (Scan.sha256; whole scans only). */
  hash?: boolean;
}

export interface ScanRange {
  /** Begin at this offset, the start of a record of `array` (plain files only). */
  startAt?: { offset: number; array: SplitArray };
  /** End before the record of `array` that starts at this offset, if the scan meets it. */
  stopAt?: { offset: number; array: SplitArray };
}

/** A fatal problem with the shape of the file that re-reading strictly would not change. */
export class ShapeError extends JsonSyntaxError {}

export const RECORD_ARRAYS = ['images', 'annotations', 'categories'] as const;
export type RecordArray = (typeof RECORD_ARRAYS)[number];
export const RECORD_NOUN: Record<RecordArray, string> = { images: 'image', annotations: 'annotation', categories: 'category' };

/** Everything the scan collects, before ids are resolved. */
export interface Scan {
  encoding: TextEncoding;
  /** A zip's member the text came from. */
  member?: string;
  textBytes: number;
  images: ImageColumns;
  annotations: AnnotationColumns;
  categories: ParsedCategory[];
  /** Source offsets of the category records, parallel to `categories`. */
  categoryOffsets: number[];
  /** Number of category records (including unusable ones). */
  categoryRecords: number;
  extra: RawJson[];
  topLevelOrder: string[];
  problems: ProblemLog;
  /** With `stopAt`: whether the scan stopped exactly there (else it read to the end). */
  stopped: boolean;
  /** 2 for a scan joined from two threads. */
  threads?: 1 | 2;
  /** With ScanOptions.hash: the sha256 of the file on disk, of the very bytes the scan read. */
  sha256?: string;
}

/** The arrays a large file may be split in. */
export type SplitArray = 'images' | 'annotations';

/**
 * Bad records: the first `limit` in full, and a count. Negative areas are held apart: a problem
 * for `load`, but the evaluator leaves those annotations out as the LVIS API does, so a caller
 * decides (`includeNegativeAreas`).
 */
export class ProblemLog {
  kept: RecordProblem[] = [];
  total = 0;
  negativeArea: RecordProblem[] = [];
  negativeAreaTotal = 0;
  constructor(readonly limit: number) {}
  add(p: RecordProblem): void {
    if (p.negativeArea) {
      this.negativeAreaTotal++;
      if (this.negativeArea.length < this.limit) this.negativeArea.push(p);
      return;
    }
    this.total++;
    if (this.kept.length < this.limit) this.kept.push(p);
  }
  /** Counts the negative areas as problems, in file order with the others. */
  includeNegativeAreas(): void {
    this.kept = [...this.kept, ...this.negativeArea].sort((a, b) => a.offset - b.offset).slice(0, this.limit);
    this.total += this.negativeAreaTotal;
    this.negativeArea = [];
    this.negativeAreaTotal = 0;
  }
  addAll(ps: RecordProblem[]): void {
    for (const p of ps) this.add(p);
  }
}

/** A JSON syntax error at an absolute offset of the decompressed text. */
export class AbsoluteSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly shape: boolean,
  ) {
    super(message);
  }
}


/** Scans `path` (all of it, or `range`); syntax errors come out as AbsoluteSyntaxError. */
export async function scanFile(path: string, strict: boolean, opts: ScanOptions, range: ScanRange = {}): Promise<Scan> {
  const hash = opts.hash === true && !range.startAt && !range.stopAt;
  const w = await ByteWindow.open(path, opts.windowBytes, range.startAt?.offset ?? 0, hash);
  try {
    const scan = await scanWindow(w, strict, opts, range);
    if (hash) scan.sha256 = await w.digest();
    return scan;
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new AbsoluteSyntaxError(w.base + err.pos, err.message, err instanceof ShapeError);
    throw err;
  } finally {
    await w.close();
  }
}

// States of the scan; each step reads one token or one whole record from `pos`.
const BEFORE_OBJECT = 0, FIRST_KEY = 1, KEY = 2, VALUE = 3, FIRST_RECORD = 4, RECORD = 5, AFTER_RECORD = 6, AFTER_MEMBER = 7, AFTER_OBJECT = 8;

/**
 * The scan's state machine over the window's bytes. It stays one long function on purpose: it is
 * the load's hot loop (1.27M records, a gigabyte of text), its states share the window, the
 * position and the columns being filled, and a run of records is read with no dispatch between
 * them. The work inside a record is in functions of its own (parseAnnotation, parseImage,
 * parseCategory); what is here is which token may come next, and the refills.
 */
async function scanWindow(w: ByteWindow, strict: boolean, opts: ScanOptions, range: ScanRange): Promise<Scan> {
  const problems = new ProblemLog(opts.maxErrors ?? 20);
  const images = new ImageColumns();
  const annotations = new AnnotationColumns();
  const categories: ParsedCategory[] = [];
  const categoryOffsets: number[] = [];
  let categoryRecords = 0;
  const extra: RawJson[] = [];
  const topLevelOrder: string[] = [];
  const pending: RecordProblem[] = [];
  let state = BEFORE_OBJECT;
  let pos = 0;
  let member = '';
  let array: RecordArray = 'images';
  let index = 0; // index of the next record in the current array
  let arrayStart = 0; // absolute offset where the current array's records begin
  // With stopAt: the offset to stop at, and whether the scan stopped there.
  let stopOffset = range.stopAt?.offset ?? Infinity;
  let stopped = false;

  pos = await w.refill(0);
  if (range.startAt) {
    state = RECORD;
    member = array = range.startAt.array;
    arrayStart = range.startAt.offset;
  } else if (w.len - pos >= 3 && w.buf[pos] === 0xef && w.buf[pos + 1] === 0xbb && w.buf[pos + 2] === 0xbf) {
    pos += 3;
  }
  opts.onProgress?.(w.diskBytesRead, w.diskBytes);
  scan: for (;;) {
    try {
      const b = w.buf;
      const end = w.len;
      const base = w.base;
      for (;;) {
        if (state === RECORD) {
          // The hot loop: one record per iteration, no state dispatch in between. A record is
          // committed (index incremented) only once the delimiter after it is in the window, so
          // a refill in the middle simply parses the same record again.
          if (base + pos >= stopOffset) {
            pos = skipWs(b, pos, end);
            if (base + pos === stopOffset && array === range.stopAt!.array) {
              // Met the other half's first record exactly, in the same array: the split was right.
              stopped = true;
              break scan;
            }
            stopOffset = Infinity; // passed it: the guess was wrong, read on to the end
          }
          let atStop = false;
          if (array === 'annotations') {
            for (;;) {
              pos = skipWs(b, pos, end);
              if (base + pos >= stopOffset) {
                atStop = true;
                break;
              }
              if (pending.length !== 0) pending.length = 0;
              parseAnnotation(b, pos, end, base, annotations, index, pending, strict);
              const next = skipWs(b, recordEnd, end);
              annotations.count = ++index;
              if (pending.length) problems.addAll(pending);
              pos = next + 1;
              if (b[next] !== 0x2c) break;
            }
          } else if (array === 'images') {
            for (;;) {
              pos = skipWs(b, pos, end);
              if (base + pos >= stopOffset) {
                atStop = true;
                break;
              }
              if (pending.length !== 0) pending.length = 0;
              parseImage(b, pos, end, base, images, index, pending, strict);
              const next = skipWs(b, recordEnd, end);
              images.count = ++index;
              if (pending.length) problems.addAll(pending);
              pos = next + 1;
              if (b[next] !== 0x2c) break;
            }
          } else {
            for (;;) {
              pos = skipWs(b, pos, end);
              if (pending.length !== 0) pending.length = 0;
              // Categories are few: always checked strictly, then read with JSON.parse.
              const stop = skipValue(b, pos, end);
              const next = skipWs(b, stop, end);
              const parsed = parseCategory(b.toString('utf8', pos, stop), index, base + pos, pending);
              if (parsed) {
                categories.push(parsed);
                categoryOffsets.push(base + pos);
              }
              categoryRecords = ++index;
              problems.addAll(pending);
              pos = next + 1;
              if (b[next] !== 0x2c) break;
            }
          }
          if (atStop) continue; // decided at the top of this state
          // The delimiter was not ',': let AFTER_RECORD accept ']' or report it.
          pos--;
          state = AFTER_RECORD;
          continue;
        }
        if (state === AFTER_OBJECT) {
          while (pos < end && (b[pos] === 0x20 || b[pos] === 0x0a || b[pos] === 0x0d || b[pos] === 0x09)) pos++;
          if (pos < end) throw new JsonSyntaxError(pos, `unexpected ${describeByte(b[pos])} after the top-level object, expected the end of the file`);
          throw NEED_MORE;
        }
        pos = skipWs(b, pos, end);
        const c = b[pos]!;
        switch (state) {
          case BEFORE_OBJECT:
            if (c !== 0x7b) {
              const found = c === 0x5b ? 'an array (a predictions file?)' : describeByte(c);
              throw new ShapeError(pos, `expected a JSON object with "images", "annotations" and "categories" at the top level, found ${found}`);
            }
            pos++;
            state = FIRST_KEY;
            break;
          case FIRST_KEY:
          case KEY: {
            if (c === 0x7d && state === FIRST_KEY) {
              pos++;
              state = AFTER_OBJECT;
              break;
            }
            if (c !== 0x22) throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} in the top-level object, expected a '"' starting a key`);
            const keyPos = pos;
            const name = readString(b, pos, end);
            const p = skipWs(b, numberEnd, end);
            if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `unexpected ${describeByte(b[p])} after an object key, expected ':'`);
            if (topLevelOrder.includes(name)) throw new ShapeError(keyPos, `the top-level member "${name}" appears twice`);
            topLevelOrder.push(name);
            member = name;
            pos = p + 1;
            state = VALUE;
            break;
          }
          case VALUE:
            if ((RECORD_ARRAYS as readonly string[]).includes(member)) {
              array = member as RecordArray;
              if (c !== 0x5b) {
                throw new ShapeError(pos, `the top-level "${member}" must be an array of ${RECORD_NOUN[array]} records, found ${c === 0x7b ? 'an object' : describeByte(c)}`);
              }
              pos++;
              index = 0;
              arrayStart = base + pos;
              state = FIRST_RECORD;
            } else {
              const stop = strict ? skipValue(b, pos, end) : skipElement(b, pos, end);
              extra.push({ key: member, raw: b.toString('utf8', pos, stop) });
              pos = stop;
              state = AFTER_MEMBER;
            }
            break;
          case FIRST_RECORD:
            if (c === 0x5d) {
              pos++;
              state = AFTER_MEMBER;
            } else {
              state = RECORD;
            }
            break;
          case AFTER_RECORD:
            if (c === 0x5d) {
              pos++;
              state = AFTER_MEMBER;
            } else {
              throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after ${RECORD_NOUN[array]} #${index - 1} of "${array}", expected ',' or ']'`);
            }
            break;
          case AFTER_MEMBER:
            if (c === 0x2c) {
              pos++;
              state = KEY;
            } else if (c === 0x7d) {
              pos++;
              state = AFTER_OBJECT;
            } else {
              throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after the top-level member "${member}", expected ',' or '}'`);
            }
            break;
        }
      }
    } catch (err) {
      if (err !== NEED_MORE) throw err;
      if (w.eof) {
        if (state === AFTER_OBJECT) break;
        if (state === BEFORE_OBJECT) throw new ShapeError(w.len, 'expected a JSON object with "images", "annotations" and "categories" at the top level, found an empty file');
        const where = state === RECORD || state === AFTER_RECORD || state === FIRST_RECORD ? `in "${array}" after ${index} record${index === 1 ? '' : 's'}` : member ? `in the top-level member "${member}"` : 'in the top-level object';
        throw new JsonSyntaxError(w.len, `unexpected end of input ${where}; the file is truncated`);
      }
      opts.signal?.throwIfAborted();
      if ((state === RECORD || state === AFTER_RECORD) && array !== 'categories') estimateRecords(array === 'annotations' ? annotations : images, index, w, pos, arrayStart, Math.min(w.diskBytes, stopOffset));
      // Keep the current record (or token) and whatever follows it.
      pos = await w.refill(pos);
      opts.onProgress?.(w.diskBytesRead, w.diskBytes);
    }
  }
  return {
    encoding: w.encoding,
    ...(w.member !== undefined ? { member: w.member } : {}),
    textBytes: w.base + w.len,
    images,
    annotations,
    categories,
    categoryOffsets,
    categoryRecords,
    extra,
    topLevelOrder,
    problems,
    stopped,
  };
}

/**
 * Tells the columns how many records to expect, extrapolating from the bytes this array has
 * taken so far to the rest of the file (plain files only: a compressed file's size says nothing about
 * its text). An overestimate for all but the last array, which the 8x cap in capacityFor bounds.
 */
function estimateRecords(cols: { expected: number }, index: number, w: ByteWindow, pos: number, arrayStart: number, scanEnd: number): void {
  if (w.compressed || index < 64) return;
  const at = w.base + pos;
  const used = at - arrayStart;
  if (used <= 0) return;
  cols.expected = Math.ceil(index + (index * Math.max(0, scanEnd - at)) / used);
}

