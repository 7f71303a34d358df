/**
 * Loading an LVIS or COCO-format detection file (plain, gzip or a zip's JSON member, any size) into the columnar
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
import { stat } from 'node:fs/promises';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { TIER_INDEX, type Dataset, type Tier } from '../dataset/dataset.js';
import { IdIndex } from '../dataset/id-index.js';
import { fileEncoding } from '../source/encoding.js';
import { diagnosticWithPosition, locateOffsets } from '../json/locate.js';
import { displayPath } from '../../base/display-path.js';
import { imagesPerCategory, tierOfImageCount } from './categories.js';
import { ImageColumns } from './columns.js';
import { formatProblem } from './records.js';
import { parallelWorthIt, scanInTwo } from './parallel.js';
import { AbsoluteSyntaxError, ProblemLog, RECORD_ARRAYS, scanFile, type Scan } from './scan.js';

export interface LoadOptions {
  signal?: AbortSignal;
  /** Bytes of the file on disk read so far (compressed bytes for gzip and zip) and its size. */
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
  /**
   * Scan a plain file on two threads (load-parallel.ts): undefined = when it is large enough
   * and a second core is idle; true = whenever a split point is found (tests); false = never.
   * Not with `hash`.
   */
  parallel?: boolean;
  /**
   * Also compute the sha256 of the file on disk (all of a gzip or zip file's bytes) from the bytes
   * the scan reads, in the same pass (LoadResult.sha256). The scan then runs in one thread, with
   * the hashing on a second one (base/pass-hash.ts): sha256 is sequential, so it cannot follow two
   * scanning threads that each read half of the file without keeping half of it in memory, and a
   * scan plus a hash beside it beats two scans and a separate hash (BENCHMARKS.md, "load").
   */
  hash?: boolean;
  /**
   * A finite negative `area` is not an error: the annotation is kept with its area, for the
   * evaluator, which leaves it out as the LVIS API does (its get_ann_ids keeps 0 < area < inf).
   */
  allowNegativeArea?: boolean;
}

export interface LoadResult {
  dataset: Dataset;
  /** Images that no annotation refers to (kept in the dataset). */
  imagesWithoutAnnotations: number;
  /** True when the fast scan hit a syntax error and the file was read again strictly (it was valid after all). */
  rereadStrictly: boolean;
  /** Threads the scan ran on (2 when load-parallel.ts split the file). */
  threads: 1 | 2;
  /** With LoadOptions.hash: the sha256 of the file on disk, computed from the bytes the load read. */
  sha256?: string;
}

/** Loads `path` (plain, gzip or zip) into a Dataset; throws DiagnosticError on any problem with the data. */
export async function loadDataset(path: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const abs = nodePath.resolve(path);
  let scan: Scan;
  let rereadStrictly = false;
  let threads: 1 | 2 = 1;
  try {
    scan = await fastScan(abs, opts);
    threads = scan.threads ?? 1;
  } catch (err) {
    if (!(err instanceof AbsoluteSyntaxError) || err.shape || opts.strict) throw await toDiagnostic(abs, err);
    // The fast scan trusts arrays of numbers to hold only numbers; a file that breaks that is
    // either invalid (the strict scan says exactly where) or valid in an unusual way.
    try {
      scan = await scanFile(abs, true, opts);
      rereadStrictly = true;
      threads = 1;
    } catch (strictErr) {
      throw await toDiagnostic(abs, strictErr);
    }
  }
  if (!opts.allowNegativeArea) scan.problems.includeNegativeAreas();
  return { ...(await assemble(abs, scan, rereadStrictly)), threads, ...(scan.sha256 ? { sha256: scan.sha256 } : {}) };
}

/** The first scan: strict if asked; on two threads for a large plain file; else in one. */
async function fastScan(path: string, opts: LoadOptions): Promise<Scan> {
  if (opts.strict) return scanFile(path, true, opts);
  if (opts.parallel !== false && !opts.hash) {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size > 0 && (opts.parallel === true || (await parallelWorthIt(size))) && (await fileEncoding(path)) === 'plain') {
      const scan = await scanInTwo(path, size, opts);
      if (scan) return scan;
    }
  }
  return scanFile(path, false, opts);
}

async function toDiagnostic(path: string, err: unknown): Promise<unknown> {
  if (!(err instanceof AbsoluteSyntaxError)) return err;
  const pos = (await locateOffsets(path, [err.offset])).get(err.offset)!;
  return new DiagnosticError([diagnosticWithPosition(path, err.offset, pos, err.message)]);
}

// ---------------------------------------------------------------------------------------------
// From scanned columns to the Dataset

/**
 * Indices of annotations whose id repeats an earlier one. Ids are usually dense integers
 * (1..N): then one pass over a bitmap; otherwise a sorted copy, then a scan for the repeats.
 */
function duplicateAnnotationIds(ids: Float64Array, count: number): number[] {
  let max = -1;
  let integers = true;
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    if (id >= 0 && id <= 0x7fffffff && Number.isInteger(id)) {
      if (id > max) max = id;
    } else if (!Number.isNaN(id)) {
      integers = false;
    }
  }
  const out: number[] = [];
  if (integers && max < Math.max(1 << 24, 8 * count)) {
    const seen = new Uint8Array(max + 1);
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (Number.isNaN(id)) continue;
      if (seen[id] === 1) out.push(i);
      else seen[id] = 1;
    }
    return out;
  }
  const sorted = ids.slice(0, count).sort();
  const dupIds = new Set<number>();
  for (let k = 1; k < count; k++) if (sorted[k] === sorted[k - 1] && !Number.isNaN(sorted[k]!)) dupIds.add(sorted[k]!);
  if (dupIds.size === 0) return [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    if (!dupIds.has(id)) continue;
    if (seen.has(id)) out.push(i);
    else seen.add(id);
  }
  return out;
}

async function assemble(path: string, scan: Scan, rereadStrictly: boolean): Promise<Omit<LoadResult, 'threads'>> {
  requireRecordArrays(path, scan);
  const { problems } = scan;
  const categories = checkCategories(scan);
  const images = resolveImages(scan, categories.index);
  const annotations = resolveAnnotations(scan, categories.index, images);
  if (problems.total > 0) throw await problemsToDiagnostic(path, problems);
  const byImage = groupByImage(scan.images.count, annotations.image);
  const tier = tiersOf(scan.categories, categories.tiersDerived, annotations.category, byImage);
  const dataset = datasetOf(path, scan, { tier, tiersDerived: categories.tiersDerived, images, annotations, byImage });
  return { dataset, imagesWithoutAnnotations: byImage.empty, rereadStrictly };
}

function requireRecordArrays(path: string, scan: Scan): void {
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
}

/** The categories' id index; duplicate ids and a frequency that only some have are problems. */
function checkCategories(scan: Scan): { index: IdIndex; tiersDerived: boolean } {
  const { problems, categories: cats } = scan;
  const index = new IdIndex(cats.map((c) => c.id), cats.length);
  for (const k of index.duplicates) {
    problems.add({ kind: 'category', index: k, id: cats[k]!.id, field: 'id', message: `duplicate id (also category #${index.get(cats[k]!.id)})`, offset: scan.categoryOffsets[k]! });
  }
  const withFrequency = cats.filter((c) => c.hasFrequency).length;
  if (withFrequency > 0 && withFrequency < cats.length) {
    cats.forEach((c, k) => {
      if (!c.hasFrequency) {
        problems.add({ kind: 'category', index: k, id: c.id, field: 'frequency', message: `is missing, while ${withFrequency} other categories have one (expected "r", "c" or "f")`, offset: scan.categoryOffsets[k]! });
      }
    });
  }
  return { index, tiersDerived: withFrequency === 0 && cats.length > 0 };
}

/**
 * Whether every category's id was read. A record whose id could not be read leaves its references
 * dangling: reporting each of them would only repeat the first problem, so references to
 * categories are checked only when all ids are known.
 */
function categoryIdsKnown(scan: Scan): boolean {
  return scan.categories.length === scan.categoryRecords;
}

interface IdLists {
  offsets: Int32Array;
  values: Int32Array;
}

/** The images' id index (duplicates are problems) and their category lists as category indices. */
function resolveImages(scan: Scan, catIndex: IdIndex): { index: IdIndex; idsKnown: boolean; negCategories: IdLists; notExhaustiveCategories: IdLists } {
  const { problems, images: im } = scan;
  const nImg = im.count;
  const categoriesKnown = categoryIdsKnown(scan);
  let idsKnown = true;
  for (let i = 0; i < nImg; i++) if (!Number.isInteger(im.id[i]!)) idsKnown = false;
  const index = new IdIndex(im.id, nImg);
  for (const i of index.duplicates) {
    problems.add({ kind: 'image', index: i, id: im.id[i]!, field: 'id', message: `duplicate id (also image #${index.get(im.id[i]!)})`, offset: im.byteStart[i]! });
  }
  const resolveLists = (lists: ImageColumns['neg'], field: string): IdLists => {
    const offsets = lists.offsets.slice(0, nImg + 1);
    const values = new Int32Array(offsets[nImg]!);
    for (let i = 0; i < nImg; i++) {
      for (let k = offsets[i]!; k < offsets[i + 1]!; k++) {
        const id = lists.values[k]!;
        const c = catIndex.get(id);
        if (c < 0 && categoriesKnown) {
          problems.add({ kind: 'image', index: i, id: Number.isNaN(im.id[i]!) ? undefined : im.id[i]!, field, message: `lists category id ${id}, which is not in "categories"`, offset: im.byteStart[i]! });
        }
        values[k] = c;
      }
    }
    return { offsets, values };
  };
  return { index, idsKnown, negCategories: resolveLists(im.neg, 'neg_category_ids'), notExhaustiveCategories: resolveLists(im.notExhaustive, 'not_exhaustive_category_ids') };
}

/** Each annotation's image and category as indices; unknown ids and duplicate annotation ids are problems. */
function resolveAnnotations(scan: Scan, catIndex: IdIndex, images: { index: IdIndex; idsKnown: boolean }): { image: Int32Array; category: Int32Array } {
  const { problems, annotations: an } = scan;
  const categoriesKnown = categoryIdsKnown(scan);
  const nAnn = an.count;
  const image = new Int32Array(nAnn);
  const category = new Int32Array(nAnn);
  for (let k = 0; k < nAnn; k++) {
    const imageId = an.imageId[k]!;
    const categoryId = an.categoryId[k]!;
    const i = images.index.get(imageId);
    const c = catIndex.get(categoryId);
    image[k] = i;
    category[k] = c;
    const badImage = i < 0 && images.idsKnown && !Number.isNaN(imageId);
    const badCategory = c < 0 && categoriesKnown && !Number.isNaN(categoryId);
    if (badImage || badCategory) {
      const id = Number.isNaN(an.id[k]!) ? undefined : an.id[k]!;
      if (badImage) problems.add({ kind: 'annotation', index: k, id, field: 'image_id', message: `is ${imageId}, which is not in "images"`, offset: an.byteStart[k]! });
      if (badCategory) problems.add({ kind: 'annotation', index: k, id, field: 'category_id', message: `is ${categoryId}, which is not in "categories"`, offset: an.byteStart[k]! });
    }
  }
  for (const k of duplicateAnnotationIds(an.id, nAnn)) {
    problems.add({ kind: 'annotation', index: k, id: an.id[k]!, field: 'id', message: 'duplicate id (another annotation has it)', offset: an.byteStart[k]! });
  }
  return { image, category };
}

/** Annotations grouped by image, in file order (a counting sort), and how many images have none. */
function groupByImage(nImg: number, annImage: Int32Array): { offsets: Int32Array; index: Int32Array; empty: number } {
  const nAnn = annImage.length;
  const offsets = new Int32Array(nImg + 1);
  for (let k = 0; k < nAnn; k++) offsets[annImage[k]! + 1]!++;
  let empty = 0;
  for (let i = 0; i < nImg; i++) {
    if (offsets[i + 1] === 0) empty++;
    offsets[i + 1]! += offsets[i]!;
  }
  const fill = offsets.slice(0, nImg);
  const index = new Int32Array(nAnn);
  for (let k = 0; k < nAnn; k++) index[fill[annImage[k]!]!++] = k;
  return { offsets, index, empty };
}

/** Each category's tier: its `frequency`, or (COCO data) derived from its image count as LVIS does. */
function tiersOf(cats: Scan['categories'], derived: boolean, annCategory: Int32Array, byImage: { offsets: Int32Array; index: Int32Array }): Uint8Array {
  const nCat = cats.length;
  const tier = new Uint8Array(nCat);
  if (derived) {
    const counts = imagesPerCategory(nCat, annCategory, byImage.offsets, byImage.index);
    for (let c = 0; c < nCat; c++) tier[c] = TIER_INDEX[tierOfImageCount(counts[c]!)];
  } else {
    for (let c = 0; c < nCat; c++) tier[c] = TIER_INDEX[cats[c]!.frequency as Tier];
  }
  return tier;
}

interface Resolved {
  tier: Uint8Array;
  tiersDerived: boolean;
  images: { negCategories: IdLists; notExhaustiveCategories: IdLists };
  annotations: { image: Int32Array; category: Int32Array };
  byImage: { offsets: Int32Array; index: Int32Array };
}

function datasetOf(path: string, scan: Scan, r: Resolved): Dataset {
  const { images: im, annotations: an, categories: cats } = scan;
  const nImg = im.count;
  const nAnn = an.count;
  return {
    source: {
      path,
      encoding: scan.encoding,
      ...(scan.member !== undefined ? { member: scan.member } : {}),
      textBytes: scan.textBytes,
      format: r.tiersDerived ? 'coco' : 'lvis',
      tiersDerived: r.tiersDerived,
    },
    extra: scan.extra,
    topLevelOrder: scan.topLevelOrder,
    categories: {
      count: cats.length,
      id: Float64Array.from(cats, (c) => c.id),
      name: cats.map((c) => c.name),
      tier: r.tier,
      imageCount: Float64Array.from(cats, (c) => c.imageCount),
      instanceCount: Float64Array.from(cats, (c) => c.instanceCount),
      raw: cats.map((c) => c.raw),
    },
    images: {
      count: nImg,
      id: im.id.subarray(0, nImg),
      width: im.width.subarray(0, nImg),
      height: im.height.subarray(0, nImg),
      negCategories: r.images.negCategories,
      notExhaustiveCategories: r.images.notExhaustiveCategories,
      byteStart: im.byteStart.subarray(0, nImg),
      byteEnd: im.byteEnd.subarray(0, nImg),
      annOffsets: r.byImage.offsets,
      annIndex: r.byImage.index,
    },
    annotations: {
      count: nAnn,
      id: an.id.subarray(0, nAnn),
      image: r.annotations.image,
      category: r.annotations.category,
      bbox: an.bbox.subarray(0, 4 * nAnn),
      area: an.area.subarray(0, nAnn),
      iscrowd: an.iscrowd.subarray(0, nAnn),
      byteStart: an.byteStart.subarray(0, nAnn),
      byteEnd: an.byteEnd.subarray(0, nAnn),
    },
  };
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
