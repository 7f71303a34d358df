/**
 * Which detections the API scores, and in which order.
 *
 * 1. LVISResults.limit_dets_per_image: an image with more than 300 detections keeps its 300
 *    highest-scoring ones, across all categories, before anything else is looked at (so a
 *    detection that is dropped later, e.g. of a category not evaluated on the image, still
 *    takes a place). Python's `sorted(key=score, reverse=True)` is stable, so among equal
 *    scores the one earlier in the results list is kept.
 * 2. LVISEval._prepare: the detections are read through get_ann_ids, which keeps only those of
 *    the GT's categories with 0 < area < inf (the area of areas.ts: w*h of the bbox, as a rule),
 *    and then only those of a category that the image has GT of or lists in neg_category_ids
 *    (federated evaluation).
 * 3. Order: evaluate_img sorts an image's detections of a category by score with a stable
 *    sort (numpy mergesort), so ties keep results-list order; accumulate then concatenates
 *    images in ascending id order and sorts stably again. Grouping by (category, image
 *    ascending, score descending, results-list order) gives both orders.
 */
import type { DetectionData } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { MAX_DETS_PER_IMAGE } from './params.js';

export interface SelectedDetections {
  /** Detection rows by category, then image (ascending), then score (descending; ties: results-list order). */
  order: Int32Array;
  /** Category c's detections are order[catStart[c] .. catStart[c+1]). */
  catStart: Int32Array;
  /** Images that had more than 300 detections, and how many detections that cut. */
  imagesOverLimit: number;
  cutByImageLimit: number;
  /** Dropped because their category is not one of the GT's (get_ann_ids drops them). */
  droppedUnknownCategory: number;
  /** Dropped because their area is not in (0, inf) (the API's get_ann_ids drops them). */
  droppedEmptyBox: number;
  /** Dropped because the category is neither in the image's GT nor in its neg_category_ids. */
  droppedNotEvaluated: number;
}

export function selectDetections(gt: GtIndex, dets: DetectionData): SelectedDetections {
  const { byImage, imgStart } = rowsByImage(gt.numImages, dets);
  const cut = limitPerImage(gt.numImages, dets, byImage, imgStart);
  const kept = keepScored(gt, dets, cut.keep);
  const order = orderByCategoryImageScore(dets, byImage, kept.keep, kept.catStart);
  const { imagesOverLimit, cutByImageLimit } = cut;
  const { catStart, droppedUnknownCategory, droppedEmptyBox, droppedNotEvaluated } = kept;
  return { order, catStart, imagesOverLimit, cutByImageLimit, droppedUnknownCategory, droppedEmptyBox, droppedNotEvaluated };
}

const byScoreOf = (score: Float64Array) => (a: number, b: number) => score[b]! - score[a]! || a - b;

/** Rows per image, in results-list order: image k's are byImage[imgStart[k] .. imgStart[k+1]). */
function rowsByImage(numImages: number, dets: DetectionData): { byImage: Int32Array; imgStart: Int32Array } {
  const { count: n, image } = dets;
  const imgStart = new Int32Array(numImages + 1);
  for (let i = 0; i < n; i++) imgStart[image[i]! + 1]!++;
  for (let k = 0; k < numImages; k++) imgStart[k + 1]! += imgStart[k]!;
  const byImage = new Int32Array(n);
  const fill = imgStart.slice(0, numImages);
  for (let i = 0; i < n; i++) byImage[fill[image[i]!]!++] = i;
  return { byImage, imgStart };
}

/** Step 1: 1 for each row within its image's 300 best (limit_dets_per_image). */
function limitPerImage(numImages: number, dets: DetectionData, byImage: Int32Array, imgStart: Int32Array) {
  const keep = new Uint8Array(dets.count).fill(1);
  const byScore = byScoreOf(dets.score);
  let imagesOverLimit = 0;
  let cutByImageLimit = 0;
  for (let k = 0; k < numImages; k++) {
    const s = imgStart[k]!;
    const e = imgStart[k + 1]!;
    if (e - s <= MAX_DETS_PER_IMAGE) continue;
    imagesOverLimit++;
    const ranked = byImage.slice(s, e).sort(byScore);
    for (let j = MAX_DETS_PER_IMAGE; j < ranked.length; j++) keep[ranked[j]!] = 0;
    cutByImageLimit += ranked.length - MAX_DETS_PER_IMAGE;
  }
  return { keep, imagesOverLimit, cutByImageLimit };
}

/** Step 2: `keep` cleared for the rows get_ann_ids and federation drop (counted); rows per category. */
function keepScored(gt: GtIndex, dets: DetectionData, keep: Uint8Array) {
  const { count: n, image, category, area } = dets;
  let droppedUnknownCategory = 0;
  let droppedEmptyBox = 0;
  let droppedNotEvaluated = 0;
  const nc = gt.numCategories;
  const catStart = new Int32Array(nc + 1);
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    if (category[i]! < 0) {
      keep[i] = 0;
      droppedUnknownCategory++;
    } else if (!(area[i]! > 0 && area[i]! < Infinity)) {
      keep[i] = 0;
      droppedEmptyBox++;
    } else if (!gt.evaluated.has(image[i]! * nc + category[i]!)) {
      keep[i] = 0;
      droppedNotEvaluated++;
    } else catStart[category[i]! + 1]!++;
  }
  for (let c = 0; c < nc; c++) catStart[c + 1]! += catStart[c]!;
  return { keep, catStart, droppedUnknownCategory, droppedEmptyBox, droppedNotEvaluated };
}

/** Step 3: the kept rows by (category, image, score descending, results-list order). */
function orderByCategoryImageScore(dets: DetectionData, byImage: Int32Array, keep: Uint8Array, catStart: Int32Array): Int32Array {
  const { count: n, image, category, score } = dets;
  const nc = catStart.length - 1;
  // Stable placement from image order: (category, image, results-list order).
  const order = new Int32Array(catStart[nc]!);
  const put = catStart.slice(0, nc);
  for (let j = 0; j < n; j++) {
    const i = byImage[j]!;
    if (keep[i]) order[put[category[i]!]!++] = i;
  }
  // Then score-descending within each (category, image) run.
  const byScore = byScoreOf(score);
  for (let s = 0; s < order.length; ) {
    const c = category[order[s]!]!;
    const im = image[order[s]!]!;
    let e = s + 1;
    while (e < order.length && image[order[e]!]! === im && category[order[e]!]! === c) e++;
    if (e - s > 1) sortRun(order, s, e, score, byScore);
    s = e;
  }
  return order;
}

/** Sorts order[s, e) by score descending, ties by row; insertion sort for the usual short runs. */
function sortRun(order: Int32Array, s: number, e: number, score: Float64Array, byScore: (a: number, b: number) => number): void {
  if (e - s > 32) {
    order.subarray(s, e).sort(byScore);
    return;
  }
  for (let i = s + 1; i < e; i++) {
    const v = order[i]!;
    const sv = score[v]!;
    let j = i - 1;
    // Rows arrive in ascending order, so only a strictly higher score moves a row forward.
    while (j >= s && score[order[j]!]! < sv) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = v;
  }
}
