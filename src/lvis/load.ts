/**
 * Loading an LVIS or COCO-format detection file (plain or gzip, any size) into the columnar
 * Dataset, in one streaming pass over its bytes.
 *
 * The top-level object is walked member by member; the records of `images` and `annotations`
 * are read in place by load-records.ts, `categories` records and every other member (`info`,
 * `licenses`, ...) are kept as their exact source text. Then ids are resolved to indices, the
 * records are checked against each other (duplicate ids, references to unknown images or
 * categories), annotations are grouped by image, and COCO files get frequency tiers.
 *
 * Every problem with the data is reported as a DiagnosticError: JSON syntax errors stop the
 * scan at once (byte offset, line:col); bad records are collected so that one run lists the
 * first `maxErrors` of them with a count of the rest.
 */
import * as nodePath from 'node:path';
import { DiagnosticError, type Diagnostic } from '../runner/diagnostic.js';
import { TIER_INDEX, type Dataset, type RawJson, type Tier } from './dataset.js';
import {
  ByteWindow,
  JsonSyntaxError,
  NEED_MORE,
  describeByte,
  diagnosticWithPosition,
  displayPath,
  locateOffsets,
  numberEnd,
  readString,
  skipElement,
  skipValue,
  skipWs,
} from './json-scan.js';
import { imagesPerCategory, parseCategory, tierOfImageCount, type ParsedCategory } from './load-categories.js';
import {
  AnnotationColumns,
  ImageColumns,
  formatProblem,
  parseAnnotation,
  parseImage,
  recordEnd,
  type RecordProblem,
} from './load-records.js';

export interface LoadOptions {
  signal?: AbortSignal;
  /** Bytes of the file on disk read so far (compressed bytes for gzip) and its size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** How many bad records to list before "… and K more" (default 20). */
  maxErrors?: number;
  /**
   * Check the JSON grammar of every byte, including the segmentation polygons that the fast
   * scan only bracket-matches (see json-scan.ts, "Fast skipping"). About 3x slower.
   */
  strict?: boolean;
  /** Initial read window in bytes (tests use tiny windows to exercise refills). */
  windowBytes?: number;
}

export interface LoadResult {
  dataset: Dataset;
  /** Images that no annotation refers to (kept in the dataset). */
  imagesWithoutAnnotations: number;
  /** True when the fast scan hit a syntax error and the file was read again strictly (it was valid after all). */
  rereadStrictly: boolean;
}

/** A fatal problem with the shape of the file that re-reading strictly would not change. */
class ShapeError extends JsonSyntaxError {}

const RECORD_ARRAYS = ['images', 'annotations', 'categories'] as const;
type RecordArray = (typeof RECORD_ARRAYS)[number];
const RECORD_NOUN: Record<RecordArray, string> = { images: 'image', annotations: 'annotation', categories: 'category' };

/** Everything the scan collects, before ids are resolved. */
interface Scan {
  gzip: boolean;
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
}

/** Bad records: the first `limit` in full, and a count. */
class ProblemLog {
  readonly kept: RecordProblem[] = [];
  total = 0;
  constructor(readonly limit: number) {}
  add(p: RecordProblem): void {
    this.total++;
    if (this.kept.length < this.limit) this.kept.push(p);
  }
  addAll(ps: RecordProblem[]): void {
    for (const p of ps) this.add(p);
  }
}

/** Loads `path` (plain or gzip) into a Dataset; throws DiagnosticError on any problem with the data. */
export async function loadDataset(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const abs = nodePath.resolve(path);
  let scan: Scan;
  let rereadStrictly = false;
  try {
    scan = await scanWithOffsets(abs, opts.strict ?? false, opts);
  } catch (err) {
    if (!(err instanceof AbsoluteSyntaxError) || err.shape || opts.strict) throw await toDiagnostic(abs, err);
    // The fast scan trusts arrays of numbers to hold only numbers; a file that breaks that is
    // either invalid (the strict scan says exactly where) or valid in an unusual way.
    try {
      scan = await scanWithOffsets(abs, true, opts);
      rereadStrictly = true;
    } catch (strictErr) {
      throw await toDiagnostic(abs, strictErr);
    }
  }
  return assemble(abs, scan, rereadStrictly);
}

class AbsoluteSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
    readonly shape: boolean,
  ) {
    super(message);
  }
}

async function toDiagnostic(path: string, err: unknown): Promise<unknown> {
  if (!(err instanceof AbsoluteSyntaxError)) return err;
  const pos = (await locateOffsets(path, [err.offset])).get(err.offset)!;
  return new DiagnosticError([diagnosticWithPosition(path, err.offset, pos, err.message)]);
}

async function scanWithOffsets(path: string, strict: boolean, opts: LoadOptions): Promise<Scan> {
  const w = await ByteWindow.open(path, opts.windowBytes);
  try {
    return await scanWindow(w, strict, opts);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new AbsoluteSyntaxError(w.base + err.pos, err.message, err instanceof ShapeError);
    throw err;
  } finally {
    await w.close();
  }
}

// States of the scan; each step reads one token or one whole record from `pos`.
const BEFORE_OBJECT = 0, FIRST_KEY = 1, KEY = 2, VALUE = 3, FIRST_RECORD = 4, RECORD = 5, AFTER_RECORD = 6, AFTER_MEMBER = 7, AFTER_OBJECT = 8;

async function scanWindow(w: ByteWindow, strict: boolean, opts: LoadOptions): Promise<Scan> {
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

  pos = await w.refill(0);
  if (w.len - pos >= 3 && w.buf[pos] === 0xef && w.buf[pos + 1] === 0xbb && w.buf[pos + 2] === 0xbf) pos += 3;
  opts.onProgress?.(w.diskBytesRead, w.diskBytes);
  for (;;) {
    try {
      const b = w.buf;
      const end = w.len;
      const base = w.base;
      for (;;) {
        if (state === RECORD) {
          // The hot loop: one record per iteration, no state dispatch in between. A record is
          // committed (index incremented) only once the delimiter after it is in the window, so
          // a refill in the middle simply parses the same record again.
          if (array === 'annotations') {
            for (;;) {
              pos = skipWs(b, pos, end);
              pending.length = 0;
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
              pending.length = 0;
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
              pending.length = 0;
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
      if (state === RECORD || state === AFTER_RECORD) estimateRecords(array === 'annotations' ? annotations : images, index, w, pos, arrayStart);
      // Keep the current record (or token) and whatever follows it.
      pos = await w.refill(pos);
      opts.onProgress?.(w.diskBytesRead, w.diskBytes);
    }
  }
  return {
    gzip: w.gzip,
    textBytes: w.base + w.len,
    images,
    annotations,
    categories,
    categoryOffsets,
    categoryRecords,
    extra,
    topLevelOrder,
    problems,
  };
}

/**
 * Tells the columns how many records to expect, extrapolating from the bytes this array has
 * taken so far to the rest of the file (plain files only: a gzip file's size says nothing about
 * its text). An overestimate for all but the last array, which the 8x cap in capacityFor bounds.
 */
function estimateRecords(cols: { expected: number }, index: number, w: ByteWindow, pos: number, arrayStart: number): void {
  if (w.gzip || index < 64) return;
  const at = w.base + pos;
  const used = at - arrayStart;
  if (used <= 0) return;
  cols.expected = Math.ceil(index + (index * Math.max(0, w.diskBytes - at)) / used);
}

// ---------------------------------------------------------------------------------------------
// From scanned columns to the Dataset

/** id → index, dense when the ids are small non-negative integers, else a Map. */
class IdIndex {
  private dense: Int32Array | undefined;
  private map: Map<number, number> | undefined;
  /** Indices of records whose id repeats an earlier one. */
  readonly duplicates: number[] = [];

  constructor(ids: ArrayLike<number>, count: number) {
    let max = -1;
    let small = true;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && Number.isInteger(id))) {
        if (!Number.isNaN(id)) small = false;
        continue;
      }
      if (id > max) max = id;
    }
    if (small && max < Math.max(1 << 22, 8 * count)) {
      const dense = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < count; i++) {
        const id = ids[i]!;
        if (Number.isNaN(id)) continue;
        if (dense[id] !== -1) this.duplicates.push(i);
        else dense[id] = i;
      }
      this.dense = dense;
    } else {
      const map = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        const id = ids[i]!;
        if (Number.isNaN(id)) continue;
        if (map.has(id)) this.duplicates.push(i);
        else map.set(id, i);
      }
      this.map = map;
    }
  }

  get(id: number): number {
    if (this.dense) return id >= 0 && id < this.dense.length && Number.isInteger(id) ? this.dense[id]! : -1;
    return this.map!.get(id) ?? -1;
  }
}

/** Indices of annotations whose id repeats an earlier one (sorting a copy, no hash set). */
function duplicateAnnotationIds(ids: Float64Array, count: number): number[] {
  const sorted = ids.slice(0, count).sort();
  const dupIds = new Set<number>();
  for (let k = 1; k < count; k++) if (sorted[k] === sorted[k - 1] && !Number.isNaN(sorted[k]!)) dupIds.add(sorted[k]!);
  if (dupIds.size === 0) return [];
  const seen = new Set<number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    if (!dupIds.has(id)) continue;
    if (seen.has(id)) out.push(i);
    else seen.add(id);
  }
  return out;
}

async function assemble(path: string, scan: Scan, rereadStrictly: boolean): Promise<LoadResult> {
  const { problems, images: im, annotations: an, categories: cats } = scan;
  for (const name of RECORD_ARRAYS) {
    if (!scan.topLevelOrder.includes(name)) {
      throw new DiagnosticError([
        {
          severity: 'error',
          message: `no top-level "${name}" array: expected an LVIS or COCO-format object with "images", "annotations" and "categories"`,
          location: { file: displayPath(path) },
        },
      ]);
    }
  }

  // Categories
  const catIndex = new IdIndex(cats.map((c) => c.id), cats.length);
  for (const k of catIndex.duplicates) {
    problems.add({ kind: 'category', index: k, id: cats[k]!.id, field: 'id', message: `duplicate id (also category #${catIndex.get(cats[k]!.id)})`, offset: scan.categoryOffsets[k]! });
  }
  const withFrequency = cats.filter((c) => c.hasFrequency).length;
  const tiersDerived = withFrequency === 0 && cats.length > 0;
  if (withFrequency > 0 && withFrequency < cats.length) {
    cats.forEach((c, k) => {
      if (!c.hasFrequency) {
        problems.add({ kind: 'category', index: k, id: c.id, field: 'frequency', message: `is missing, while ${withFrequency} other categories have one (expected "r", "c" or "f")`, offset: scan.categoryOffsets[k]! });
      }
    });
  }

  // A record whose id could not be read leaves its references dangling: reporting each of them
  // would only repeat the first problem, so references are checked only when all ids are known.
  const categoryIdsKnown = cats.length === scan.categoryRecords;

  // Images
  const nImg = im.count;
  let imageIdsKnown = true;
  for (let i = 0; i < nImg; i++) if (!Number.isInteger(im.id[i]!)) imageIdsKnown = false;
  const imgIndex = new IdIndex(im.id, nImg);
  for (const i of imgIndex.duplicates) {
    problems.add({ kind: 'image', index: i, id: im.id[i]!, field: 'id', message: `duplicate id (also image #${imgIndex.get(im.id[i]!)})`, offset: im.byteStart[i]! });
  }
  const resolveLists = (lists: ImageColumns['neg'], field: string): { offsets: Int32Array; values: Int32Array } => {
    const offsets = lists.offsets.slice(0, nImg + 1);
    const values = new Int32Array(offsets[nImg]!);
    for (let i = 0; i < nImg; i++) {
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
        const id = lists.values[k]!;
        const c = catIndex.get(id);
        if (c < 0 && categoryIdsKnown) {
          problems.add({ kind: 'image', index: i, id: Number.isNaN(im.id[i]!) ? undefined : im.id[i]!, field, message: `lists category id ${id}, which is not in "categories"`, offset: im.byteStart[i]! });
        }
        values[k] = c;
      }
    }
    return { offsets, values };
  };
  const negCategories = resolveLists(im.neg, 'neg_category_ids');
  const notExhaustiveCategories = resolveLists(im.notExhaustive, 'not_exhaustive_category_ids');

  // Annotations
  const nAnn = an.count;
  const annImage = new Int32Array(nAnn);
  const annCategory = new Int32Array(nAnn);
  for (let k = 0; k < nAnn; k++) {
    const imageId = an.imageId[k]!;
    const categoryId = an.categoryId[k]!;
    const i = imgIndex.get(imageId);
    const c = catIndex.get(categoryId);
    annImage[k] = i;
    annCategory[k] = c;
    if ((i < 0 && imageIdsKnown && !Number.isNaN(imageId)) || (c < 0 && categoryIdsKnown && !Number.isNaN(categoryId))) {
      const id = Number.isNaN(an.id[k]!) ? undefined : an.id[k]!;
      if (i < 0 && imageIdsKnown && !Number.isNaN(imageId)) problems.add({ kind: 'annotation', index: k, id, field: 'image_id', message: `is ${imageId}, which is not in "images"`, offset: an.byteStart[k]! });
      if (c < 0 && categoryIdsKnown && !Number.isNaN(categoryId)) problems.add({ kind: 'annotation', index: k, id, field: 'category_id', message: `is ${categoryId}, which is not in "categories"`, offset: an.byteStart[k]! });
    }
  }
  for (const k of duplicateAnnotationIds(an.id, nAnn)) {
    problems.add({ kind: 'annotation', index: k, id: an.id[k]!, field: 'id', message: 'duplicate id (another annotation has it)', offset: an.byteStart[k]! });
  }

  if (problems.total > 0) throw await problemsToDiagnostic(path, problems);

  // Annotations grouped by image, in file order (counting sort).
  const annOffsets = new Int32Array(nImg + 1);
  for (let k = 0; k < nAnn; k++) annOffsets[annImage[k]! + 1]!++;
  let imagesWithoutAnnotations = 0;
  for (let i = 0; i < nImg; i++) {
    if (annOffsets[i + 1] === 0) imagesWithoutAnnotations++;
    annOffsets[i + 1]! += annOffsets[i]!;
  }
  const fill = annOffsets.slice(0, nImg);
  const annIndex = new Int32Array(nAnn);
  for (let k = 0; k < nAnn; k++) annIndex[fill[annImage[k]!]!++] = k;

  // Tiers
  const nCat = cats.length;
  const tier = new Uint8Array(nCat);
  if (tiersDerived) {
    const counts = imagesPerCategory(nCat, annCategory, annOffsets, annIndex);
    for (let c = 0; c < nCat; c++) tier[c] = TIER_INDEX[tierOfImageCount(counts[c]!)];
  } else {
    for (let c = 0; c < nCat; c++) tier[c] = TIER_INDEX[cats[c]!.frequency as Tier];
  }

  const dataset: Dataset = {
    source: {
      path,
      gzip: scan.gzip,
      textBytes: scan.textBytes,
      format: tiersDerived ? 'coco' : 'lvis',
      tiersDerived,
    },
    extra: scan.extra,
    topLevelOrder: scan.topLevelOrder,
    categories: {
      count: nCat,
      id: Float64Array.from(cats, (c) => c.id),
      name: cats.map((c) => c.name),
      tier,
      imageCount: Float64Array.from(cats, (c) => c.imageCount),
      instanceCount: Float64Array.from(cats, (c) => c.instanceCount),
      raw: cats.map((c) => c.raw),
    },
    images: {
      count: nImg,
      id: im.id.subarray(0, nImg),
      width: im.width.subarray(0, nImg),
      height: im.height.subarray(0, nImg),
      negCategories,
      notExhaustiveCategories,
      byteStart: im.byteStart.subarray(0, nImg),
      byteEnd: im.byteEnd.subarray(0, nImg),
      annOffsets,
      annIndex,
    },
    annotations: {
      count: nAnn,
      id: an.id.subarray(0, nAnn),
      image: annImage,
      category: annCategory,
      bbox: an.bbox.subarray(0, 4 * nAnn),
      area: an.area.subarray(0, nAnn),
      iscrowd: an.iscrowd.subarray(0, nAnn),
      byteStart: an.byteStart.subarray(0, nAnn),
      byteEnd: an.byteEnd.subarray(0, nAnn),
    },
  };
  return { dataset, imagesWithoutAnnotations, rereadStrictly };
}

async function problemsToDiagnostic(path: string, problems: ProblemLog): Promise<DiagnosticError> {
  const positions = await locateOffsets(
    path,
    problems.kept.map((p) => p.offset),
  );
  const diagnostics: Diagnostic[] = problems.kept.map((p) => diagnosticWithPosition(path, p.offset, positions.get(p.offset)!, formatProblem(p)));
  const rest = problems.total - problems.kept.length;
  if (rest > 0) {
    diagnostics.push({ severity: 'error', message: `… and ${rest} more bad record${rest === 1 ? '' : 's'} (${problems.total} in all)`, location: { file: displayPath(path) } });
  }
  return new DiagnosticError(diagnostics);
}
