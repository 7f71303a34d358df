/**
 * The ground truth in the form the evaluator walks: images and categories ranked by id (the
 * API evaluates `sorted(img_ids)` and `sorted(cat_ids)`, and that order decides score ties
 * across images), and the evaluated annotations in typed columns grouped by (category, image).
 *
 * Two ways in: `buildGtIndex` from plain objects (tests, small files), which checks every
 * record, and `indexGtColumns` from columns a loader has already checked (gt-dataset.ts
 * adapts the `load` step's columnar Dataset). Both end in the same indexing code.
 */
import type { CountsStore } from '../mask/counts-store.js';
import { IdIndex } from '../dataset/id-index.js';
import { FREQUENCIES } from './params.js';
import { ProblemList } from './problems.js';

export interface EvalGtImage {
  id: number;
  /** Categories verified absent from the image: detections of them are false positives. */
  neg_category_ids: readonly number[];
  /** Categories whose instances may be missing: their unmatched detections are not counted. */
  not_exhaustive_category_ids: readonly number[];
}

export interface EvalGtAnnotation {
  image_id: number;
  category_id: number;
  /** [x, y, w, h]. */
  bbox: readonly number[];
  /** The `area` field (segmentation area in LVIS): what the area ranges test, not w*h. */
  area: number;
  /** The annotation id: 0 is special to the API (see GtIndex.gtIdZero). */
  id?: number;
  /** The API's `ignore` flag: any value Python takes as true. */
  ignore?: unknown;
}

export interface EvalGtCategory {
  id: number;
  name?: string;
  /** 'r', 'c' or 'f'. */
  frequency: string;
}

/** The parts of an LVIS GT file the box evaluation reads; a loader adapts its own form to this. */
export interface EvalGt {
  images: readonly EvalGtImage[];
  annotations: readonly EvalGtAnnotation[];
  categories: readonly EvalGtCategory[];
}

/** A CSR list per image record: record i's values are values[offsets[i] .. offsets[i+1]). */
export interface RecordLists {
  offsets: Int32Array;
  values: Int32Array;
}

/**
 * Checked GT in columns, records in file order. Ids are unique; every reference is a valid
 * record index (lists may hold -1 for a category the GT does not have: ignored, as the API does).
 */
export interface GtColumns {
  imageIds: ArrayLike<number>;
  categoryIds: ArrayLike<number>;
  categoryNames: readonly string[];
  /** Index into FREQUENCIES ('r', 'c', 'f') per category record. */
  categoryTier: ArrayLike<number>;
  /** Category record indices per image record. */
  neg: RecordLists;
  notExhaustive: RecordLists;
  annotationCount: number;
  /** Image / category record index of each annotation. */
  annImage: Int32Array;
  annCategory: Int32Array;
  /** [x, y, w, h] of annotation k at [4k, 4k+4), finite. */
  annBox: Float64Array;
  /** The `area` field; not a number only where the caller has reported it. */
  annArea: Float64Array;
  /** Annotation ids (NaN: none); 0 is special to the API. */
  annId?: ArrayLike<number>;
  /** 1 for an annotation whose `ignore` is true in Python's sense. */
  annIgnore?: Uint8Array;
  /** Image height and width per image record (NaN: not given); masks need them. */
  imageHeight?: ArrayLike<number>;
  imageWidth?: ArrayLike<number>;
}

export interface GtIndex {
  numImages: number;
  /** Image ids, ascending; an image's index is its rank here. */
  imageIds: Float64Array;
  /** Image id → index (-1: not an image of the GT). */
  imageIndex: IdIndex;
  numCategories: number;
  /** Category ids, ascending; a category's index is its rank here. */
  categoryIds: Float64Array;
  /** Category id → index (-1: not a category of the GT). */
  categoryIndex: IdIndex;
  categoryNames: string[];
  /** Index into FREQUENCIES ('r', 'c', 'f'). */
  categoryTier: Uint8Array;
  /** Evaluated annotations, ordered by (category, image, file order). */
  gtCount: number;
  /** Image index of each evaluated annotation. */
  gtImage: Int32Array;
  /** [x, y, w, h] of annotation k at [4k, 4k+4). */
  gtBox: Float64Array;
  gtArea: Float64Array;
  /** Category c's annotations are [catGtStart[c], catGtStart[c+1]). */
  catGtStart: Int32Array;
  /** Keys `image * numCategories + category` of the pairs the federated evaluation scores. */
  evaluated: ReadonlySet<number>;
  /** Keys of (image, category) pairs listed in the image's not_exhaustive_category_ids. */
  notExhaustive: ReadonlySet<number>;
  /** Annotations left out because their area is not in (0, inf), as the API's get_ann_ids does. */
  gtDroppedArea: number;
  /** Record index (position in the GT file's list) of each evaluated annotation. */
  gtRecord: Int32Array;
  /**
   * 1 for an evaluated annotation with `ignore` true: as in LVISEval.evaluate_img, it is ignored
   * in every area range (a detection matched to it is neither a true nor a false positive, and
   * it does not count as GT), though its category still counts as annotated on its image.
   */
  gtIgnore: Uint8Array;
  /**
   * 1 for an evaluated annotation with id 0. The API records a match as the GT's id and takes
   * 0 for "no match" (evaluate_img's dt_m, accumulate's tps): a detection matched to it is a
   * false positive (ignored where an unmatched one would be), and the GT stays a miss.
   */
  gtIdZero: Uint8Array;
  /** Height and width of each image (by image index); NaN when the file does not give them. */
  imageHeight: Float64Array;
  imageWidth: Float64Array;
  /** For mask AP (gt-extras.ts): each evaluated annotation's mask in `store`. */
  masks?: { store: CountsStore; index: Int32Array };
}

/** Validates `gt` and indexes it; throws DiagnosticError listing bad records. */
export function buildGtIndex(gt: EvalGt): GtIndex {
  const problems = new ProblemList();
  const images = firstOfEachId(gt.images, 'image', problems);
  const categories = firstOfEachId(gt.categories, 'category', problems);
  const categoryColumns = categoryRecordColumns(gt, categories.records, problems);
  const annotations = annotationColumns(gt, images.index, categories.index, problems);
  const lists = (field: ImageListField) => imageLists(gt, images.records, categories.index, field, problems);
  const neg = lists('neg_category_ids');
  const notExhaustive = lists('not_exhaustive_category_ids');
  problems.throwIfAny();
  return indexGtColumns({
    imageIds: images.records.map((k) => gt.images[k]!.id),
    categoryIds: categories.records.map((k) => gt.categories[k]!.id),
    ...categoryColumns,
    neg,
    notExhaustive,
    annotationCount: gt.annotations.length,
    ...annotations,
  });
}

/** The names and tiers of the categories kept (a bad `frequency` is a problem). */
function categoryRecordColumns(gt: EvalGt, records: number[], problems: ProblemList): { categoryNames: string[]; categoryTier: Uint8Array } {
  const categoryNames = records.map((k) => {
    const c = gt.categories[k]!;
    return typeof c.name === 'string' ? c.name : String(c.id);
  });
  const categoryTier = new Uint8Array(records.length);
  records.forEach((k, j) => {
    const c = gt.categories[k]!;
    const tier = (FREQUENCIES as readonly string[]).indexOf(c.frequency);
    if (tier < 0) problems.add({ kind: 'category', index: k, message: `"frequency" is ${JSON.stringify(c.frequency)}; expected "r", "c" or "f"` });
    else categoryTier[j] = tier;
  });
  return { categoryNames, categoryTier };
}

type AnnotationColumns = Pick<GtColumns, 'annImage' | 'annCategory' | 'annBox' | 'annArea' | 'annId' | 'annIgnore'>;

/**
 * The annotations as columns. Unknown images and categories are errors here, as in the loader
 * (the API's get_ann_ids would skip them silently). There is no crowd handling to mirror:
 * LVISEval passes iscrowd = 0 for every GT.
 */
function annotationColumns(gt: EvalGt, imageIndex: Map<number, number>, categoryIndex: Map<number, number>, problems: ProblemList): AnnotationColumns {
  const n = gt.annotations.length;
  const cols = { annImage: new Int32Array(n), annCategory: new Int32Array(n), annBox: new Float64Array(4 * n), annArea: new Float64Array(n), annId: new Float64Array(n), annIgnore: new Uint8Array(n) };
  gt.annotations.forEach((a, k) => {
    const img = imageIndex.get(a.image_id);
    const cat = categoryIndex.get(a.category_id);
    const bad = annotationProblem(a, img, cat);
    if (bad) {
      problems.add({ kind: 'annotation', index: k, message: bad });
      return;
    }
    cols.annImage[k] = img!;
    cols.annCategory[k] = cat!;
    cols.annBox.set(a.bbox, 4 * k);
    cols.annArea[k] = a.area;
    cols.annId[k] = typeof a.id === 'number' ? a.id : NaN;
    cols.annIgnore[k] = pythonTruthy(a.ignore) ? 1 : 0;
  });
  return cols;
}

type ImageListField = 'neg_category_ids' | 'not_exhaustive_category_ids';

/** Each kept image's list `field`, as category positions (-1 for an id of no category). */
function imageLists(gt: EvalGt, records: number[], categoryIndex: Map<number, number>, field: ImageListField, problems: ProblemList): RecordLists {
  const offsets = new Int32Array(records.length + 1);
  const values: number[] = [];
  records.forEach((k, j) => {
    const list = gt.images[k]![field];
    if (!Array.isArray(list)) problems.add({ kind: 'image', index: k, message: `"${field}" must be an array of category ids` });
    // Ids of unknown categories are harmless here (no detection can have them), as in the API.
    else for (const id of list) values.push(categoryIndex.get(id as number) ?? -1);
    offsets[j + 1] = values.length;
  });
  return { offsets, values: Int32Array.from(values) };
}

/** `if value:` in Python, for a JSON value (undefined: the key is absent, which the API takes as 0). */
export function pythonTruthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

/** Indexes checked columns (see GtColumns). */
export function indexGtColumns(cols: GtColumns): GtIndex {
  const images = rankIds(cols.imageIds);
  const categories = rankIds(cols.categoryIds);
  const numImages = images.ids.length;
  const numCategories = categories.ids.length;
  const ranked = rankAnnotations(cols, images.rankOf, categories.rankOf);
  const order = orderByCategoryImage(ranked.annImage, ranked.annCat, numImages, numCategories, ranked.kept);
  const gt = gtColumns(cols, ranked, order, numCategories);
  const pairs = (lists: RecordLists) => imageCategoryPairs(lists, images.rankOf, categories.rankOf, numCategories);
  const evaluated = pairs(cols.neg);
  // The API evaluates a category on an image when the image has GT of it (or lists it as negative).
  for (let i = 0; i < ranked.kept; i++) evaluated.add(gt.gtImage[i]! * numCategories + ranked.annCat[order[i]!]!);
  return {
    numImages,
    imageIds: images.ids,
    imageIndex: images.index,
    numCategories,
    categoryIds: categories.ids,
    categoryIndex: categories.index,
    ...categoryColumns(cols, categories.rankOf),
    gtCount: ranked.kept,
    ...gt,
    evaluated,
    notExhaustive: pairs(cols.notExhaustive),
    gtDroppedArea: ranked.dropped,
    gtRecord: order,
    imageHeight: byRank(cols.imageHeight, images.rankOf, numImages),
    imageWidth: byRank(cols.imageWidth, images.rankOf, numImages),
  };
}

function categoryColumns(cols: GtColumns, rankOf: Int32Array): { categoryNames: string[]; categoryTier: Uint8Array } {
  const categoryNames = new Array<string>(rankOf.length);
  const categoryTier = new Uint8Array(rankOf.length);
  for (let k = 0; k < rankOf.length; k++) {
    const c = rankOf[k]!;
    categoryNames[c] = cols.categoryNames[k]!;
    categoryTier[c] = cols.categoryTier[k]!;
  }
  return { categoryNames, categoryTier };
}

interface RankedAnnotations {
  /** Per annotation record: its image's and category's rank; image -1 for one left out. */
  annImage: Int32Array;
  annCat: Int32Array;
  kept: number;
  dropped: number;
}

/** The API reads GT through get_ann_ids(img_ids, cat_ids), which keeps only 0 < area < inf. */
/** Whether an annotation of this `area` is evaluated: the API's get_ann_ids keeps 0 < area < inf (and so do the records the GT pass reads: evaluate-files.ts). */
export function isEvaluatedArea(area: number): boolean {
  return area > 0 && area < Infinity;
}

function rankAnnotations(cols: GtColumns, imageRank: Int32Array, categoryRank: Int32Array): RankedAnnotations {
  const n = cols.annotationCount;
  const annImage = new Int32Array(n);
  const annCat = new Int32Array(n);
  let kept = 0;
  for (let k = 0; k < n; k++) {
    if (!isEvaluatedArea(cols.annArea[k]!)) annImage[k] = -1;
    else {
      annImage[k] = imageRank[cols.annImage[k]!]!;
      annCat[k] = categoryRank[cols.annCategory[k]!]!;
      kept++;
    }
  }
  return { annImage, annCat, kept, dropped: n - kept };
}

/** The evaluated annotations' columns, in `order` (by category, then image). */
function gtColumns(cols: GtColumns, ranked: RankedAnnotations, order: Int32Array, numCategories: number) {
  const { kept, annImage, annCat } = ranked;
  const catGtStart = new Int32Array(numCategories + 1);
  const gtImage = new Int32Array(kept);
  const gtBox = new Float64Array(4 * kept);
  const gtArea = new Float64Array(kept);
  const gtIgnore = new Uint8Array(kept);
  const gtIdZero = new Uint8Array(kept);
  for (let i = 0; i < kept; i++) {
    const k = order[i]!;
    gtIgnore[i] = cols.annIgnore?.[k] ?? 0;
    gtIdZero[i] = cols.annId?.[k] === 0 ? 1 : 0;
    gtImage[i] = annImage[k]!;
    // (four assignments, not set(subarray): a view per annotation was most of this loop's time)
    for (let j = 0; j < 4; j++) gtBox[4 * i + j] = cols.annBox[4 * k + j]!;
    gtArea[i] = cols.annArea[k]!;
    catGtStart[annCat[k]! + 1]!++;
  }
  for (let c = 0; c < numCategories; c++) catGtStart[c + 1]! += catGtStart[c]!;
  return { catGtStart, gtImage, gtBox, gtArea, gtIgnore, gtIdZero };
}

/** image × numCategories + category for each (image record, category record) listed. */
function imageCategoryPairs(lists: RecordLists, imageRank: Int32Array, categoryRank: Int32Array, numCategories: number): Set<number> {
  const pairs = new Set<number>();
  for (let r = 0; r < imageRank.length; r++) {
    const img = imageRank[r]!;
    for (let j = lists.offsets[r]!; j < lists.offsets[r + 1]!; j++) {
      const cat = lists.values[j]!;
      if (cat >= 0) pairs.add(img * numCategories + categoryRank[cat]!);
    }
  }
  return pairs;
}

/** Per-record values placed at each record's rank (NaN where not given). */
function byRank(values: ArrayLike<number> | undefined, rankOf: Int32Array, n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  if (values) for (let k = 0; k < rankOf.length; k++) out[rankOf[k]!] = values[k]!;
  return out;
}

/** The records to use (the first of each id) and id → position among them; bad and repeated ids are problems. */
function firstOfEachId(records: readonly { id: number }[], kind: 'image' | 'category', problems: ProblemList): { records: number[]; index: Map<number, number> } {
  const index = new Map<number, number>();
  const kept: number[] = [];
  records.forEach((r, k) => {
    if (typeof r.id !== 'number' || !Number.isFinite(r.id)) {
      problems.add({ kind, index: k, message: `"id" must be a number, found ${JSON.stringify(r.id)}` });
    } else if (index.has(r.id)) {
      problems.add({ kind, index: k, message: `duplicate id ${r.id} (also ${kind} #${kept[index.get(r.id)!]})` });
    } else {
      index.set(r.id, kept.length);
      kept.push(k);
    }
  });
  return { records: kept, index };
}

/** Unique ids ascending, id → rank, and the rank of each record. */
function rankIds(recordIds: ArrayLike<number>): { ids: Float64Array; index: IdIndex; rankOf: Int32Array } {
  const ids = Float64Array.from(recordIds).sort();
  const index = new IdIndex(ids, ids.length);
  const rankOf = new Int32Array(recordIds.length);
  for (let k = 0; k < recordIds.length; k++) rankOf[k] = index.get(recordIds[k]!);
  return { ids, index, rankOf };
}

function annotationProblem(a: EvalGtAnnotation, img: number | undefined, cat: number | undefined): string | undefined {
  if (img === undefined) return `"image_id" ${JSON.stringify(a.image_id)} is not in "images"`;
  if (cat === undefined) return `"category_id" ${JSON.stringify(a.category_id)} is not in "categories"`;
  if (!isBox(a.bbox)) return `"bbox" must be 4 finite numbers [x, y, w, h], found ${JSON.stringify(a.bbox)}`;
  if (typeof a.area !== 'number' || Number.isNaN(a.area)) return `"area" must be a number, found ${JSON.stringify(a.area)}`;
  return undefined;
}

function isBox(b: unknown): b is readonly number[] {
  return Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Indices of the kept annotations (image >= 0) by (category, image, file order). */
function orderByCategoryImage(image: Int32Array, cat: Int32Array, numImages: number, numCategories: number, kept: number): Int32Array {
  const keptIdx = new Int32Array(kept);
  for (let k = 0, j = 0; k < image.length; k++) if (image[k]! >= 0) keptIdx[j++] = k;
  const byImage = countingSort(keptIdx, numImages, image);
  return countingSort(byImage, numCategories, cat);
}

/** `items` stably sorted by key[item] (keys in 0..numKeys-1). */
function countingSort(items: Int32Array, numKeys: number, key: Int32Array): Int32Array {
  const start = new Int32Array(numKeys + 1);
  for (let i = 0; i < items.length; i++) start[key[items[i]!]! + 1]!++;
  for (let j = 0; j < numKeys; j++) start[j + 1]! += start[j]!;
  const out = new Int32Array(items.length);
  // (indexed loops: the GT is indexed once, with cold code, where for-of's iterator is slow)
  for (let i = 0; i < items.length; i++) out[start[key[items[i]!]!]!++] = items[i]!;
  return out;
}
