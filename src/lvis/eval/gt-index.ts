/**
 * The ground truth in the form the evaluator walks: images and categories ranked by id (the
 * API evaluates `sorted(img_ids)` and `sorted(cat_ids)`, and that order decides score ties
 * across images), and the evaluated annotations in typed columns grouped by (category, image).
 */
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

export interface GtIndex {
  numImages: number;
  /** Image ids, ascending; an image's index is its rank here. */
  imageIds: Float64Array;
  imageIndex: ReadonlyMap<number, number>;
  numCategories: number;
  /** Category ids, ascending; a category's index is its rank here. */
  categoryIds: Float64Array;
  categoryIndex: ReadonlyMap<number, number>;
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
}

/** Validates `gt` and indexes it; throws DiagnosticError listing bad records. */
export function buildGtIndex(gt: EvalGt): GtIndex {
  const problems = new ProblemList();
  const images = rankIds(gt.images, 'image', problems);
  const categories = rankIds(gt.categories, 'category', problems);
  const numImages = images.ids.length;
  const numCategories = categories.ids.length;

  const categoryNames: string[] = new Array<string>(numCategories);
  const categoryTier = new Uint8Array(numCategories);
  gt.categories.forEach((c, k) => {
    const idx = categories.index.get(c.id);
    if (idx === undefined) return;
    categoryNames[idx] = typeof c.name === 'string' ? c.name : String(c.id);
    const tier = (FREQUENCIES as readonly string[]).indexOf(c.frequency);
    if (tier < 0) problems.add({ kind: 'category', index: k, message: `"frequency" is ${JSON.stringify(c.frequency)}; expected "r", "c" or "f"` });
    else categoryTier[idx] = tier;
  });

  // The API reads GT through get_ann_ids(img_ids, cat_ids), which keeps only 0 < area < inf
  // (and silently skips unknown images and categories, which are errors here, as in the loader).
  // There is no crowd handling to mirror: LVISEval passes iscrowd = 0 for every GT.
  const annImage = new Int32Array(gt.annotations.length);
  const annCat = new Int32Array(gt.annotations.length);
  let kept = 0;
  let gtDroppedArea = 0;
  gt.annotations.forEach((a, k) => {
    const img = images.index.get(a.image_id);
    const cat = categories.index.get(a.category_id);
    const bad = annotationProblem(a, img, cat);
    if (bad) {
      problems.add({ kind: 'annotation', index: k, message: bad });
      annImage[k] = -1;
    } else if (!(a.area > 0 && a.area < Infinity)) {
      gtDroppedArea++;
      annImage[k] = -1;
    } else {
      annImage[k] = img!;
      annCat[k] = cat!;
      kept++;
    }
  });

  const evaluated = new Set<number>();
  const notExhaustive = new Set<number>();
  gt.images.forEach((im, k) => {
    const img = images.index.get(im.id);
    if (img === undefined) return;
    // Ids of unknown categories are harmless here (no detection can have them), as in the API.
    if (!addPairs(im.neg_category_ids, img, numCategories, categories.index, evaluated)) {
      problems.add({ kind: 'image', index: k, message: '"neg_category_ids" must be an array of category ids' });
    }
    if (!addPairs(im.not_exhaustive_category_ids, img, numCategories, categories.index, notExhaustive)) {
      problems.add({ kind: 'image', index: k, message: '"not_exhaustive_category_ids" must be an array of category ids' });
    }
  });
  problems.throwIfAny();

  const order = orderByCategoryImage(annImage, annCat, numImages, numCategories, kept);
  const catGtStart = new Int32Array(numCategories + 1);
  const gtImage = new Int32Array(kept);
  const gtBox = new Float64Array(4 * kept);
  const gtArea = new Float64Array(kept);
  for (let i = 0; i < kept; i++) {
    const k = order[i]!;
    const a = gt.annotations[k]!;
    gtImage[i] = annImage[k]!;
    gtBox.set(a.bbox, 4 * i);
    gtArea[i] = a.area;
    catGtStart[annCat[k]! + 1]!++;
    // The API evaluates a category on an image when the image has GT of it (or lists it as negative).
    evaluated.add(annImage[k]! * numCategories + annCat[k]!);
  }
  for (let c = 0; c < numCategories; c++) catGtStart[c + 1]! += catGtStart[c]!;

  return {
    numImages,
    imageIds: images.ids,
    imageIndex: images.index,
    numCategories,
    categoryIds: categories.ids,
    categoryIndex: categories.index,
    categoryNames,
    categoryTier,
    gtCount: kept,
    gtImage,
    gtBox,
    gtArea,
    catGtStart,
    evaluated,
    notExhaustive,
    gtDroppedArea,
  };
}

/** Ids ascending and their ranks; records with a missing or repeated id are problems. */
function rankIds(records: readonly { id: number }[], kind: 'image' | 'category', problems: ProblemList): { ids: Float64Array; index: Map<number, number> } {
  const first = new Map<number, number>();
  records.forEach((r, k) => {
    if (typeof r.id !== 'number' || !Number.isFinite(r.id)) {
      problems.add({ kind, index: k, message: `"id" must be a number, found ${JSON.stringify(r.id)}` });
    } else if (first.has(r.id)) {
      problems.add({ kind, index: k, message: `duplicate id ${r.id} (also ${kind} #${first.get(r.id)})` });
    } else first.set(r.id, k);
  });
  const ids = Float64Array.from(first.keys()).sort();
  const index = new Map<number, number>();
  ids.forEach((id, i) => index.set(id, i));
  return { ids, index };
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

function addPairs(list: unknown, img: number, numCategories: number, catIndex: ReadonlyMap<number, number>, into: Set<number>): boolean {
  if (!Array.isArray(list)) return false;
  for (const id of list) {
    const cat = catIndex.get(id as number);
    if (cat !== undefined) into.add(img * numCategories + cat);
  }
  return true;
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
  for (const k of items) start[key[k]! + 1]!++;
  for (let j = 0; j < numKeys; j++) start[j + 1]! += start[j]!;
  const out = new Int32Array(items.length);
  for (const k of items) out[start[key[k]!]!++] = k;
  return out;
}
