/**
 * Per-image matching of one category (LVISEval.compute_iou + evaluate_img), for all area
 * ranges and IoU thresholds at once. The outcome of each detection is one status byte per
 * (area range, threshold): that is all accumulate needs of the API's dt_matches/dt_ignore.
 * What IoU means (boxes or masks) is an IouSource; everything else is the same for both.
 */
import type { DetectionData } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { AREA_RANGES, IOU_CAP, IOU_THRESHOLDS, LOWEST_MATCHING_IOU, NUM_AREAS, NUM_IOU } from './params.js';
import type { SelectedDetections } from './select.js';

/** What scoring reads of the GT (a GtIndex; mask AP's GT thread gets a copy of these columns). */
export type ScoringGt = Pick<GtIndex, 'numCategories' | 'catGtStart' | 'gtImage' | 'gtArea' | 'gtIgnore' | 'gtIdZero' | 'notExhaustive' | 'imageHeight' | 'imageWidth' | 'masks'>;
/** What scoring reads of the detections. */
export type ScoringDets = Pick<DetectionData, 'count' | 'image' | 'score' | 'area' | 'mask' | 'masks'>;
export type ScoringSelection = Pick<SelectedDetections, 'order' | 'catStart'>;

/** Counted as a false positive. */
export const FP = 0;
/** Matched to a GT that is not ignored. */
export const TP = 1;
/** In neither count: matched to an ignored GT, or unmatched and outside the area range or of a not-exhaustive category. */
export const IGNORED = 2;

/**
 * The IoUs of one image's detections of one category (rows order[d0 .. d1), in score order)
 * with its GT (gt indices g0 .. g1, in GT-file order), into iou[d * (g1 - g0) + j].
 */
export interface IouSource {
  fill(iou: Float64Array, order: Int32Array, d0: number, d1: number, g0: number, g1: number): void;
}

/**
 * pycocotools' bbIou for a non-crowd pair (maskApi.c), operation for operation so that the
 * doubles are the same: boxes are [x, y, w, h] with no +1 on widths, areas come from the
 * boxes (not the `area` field), and union = det area + GT area - intersection.
 */
export function boxIou(d: Float64Array, di: number, g: Float64Array, gi: number): number {
  const w = Math.min(d[di + 2]! + d[di]!, g[gi + 2]! + g[gi]!) - Math.max(d[di]!, g[gi]!);
  if (w <= 0) return 0;
  const h = Math.min(d[di + 3]! + d[di + 1]!, g[gi + 3]! + g[gi + 1]!) - Math.max(d[di + 1]!, g[gi + 1]!);
  if (h <= 0) return 0;
  const i = w * h;
  const da = d[di + 2]! * d[di + 3]!;
  const ga = g[gi + 2]! * g[gi + 3]!;
  return i / (da + ga - i);
}

/** Box IoU (iou_type bbox). */
export class BoxIou implements IouSource {
  constructor(
    private readonly dets: DetectionData,
    private readonly gt: GtIndex,
  ) {}

  fill(iou: Float64Array, order: Int32Array, d0: number, d1: number, g0: number, g1: number): void {
    const ng = g1 - g0;
    for (let d = 0; d < d1 - d0; d++) {
      const row = order[d0 + d]!;
      for (let j = 0; j < ng; j++) iou[d * ng + j] = boxIou(this.dets.box, 4 * row, this.gt.gtBox, 4 * (g0 + j));
    }
  }
}

/** Reused buffers, grown on demand, so that no (image, category) pair allocates. */
export class MatchScratch {
  iou = new Float64Array(256);
  gtIgnored = new Uint8Array(16);
  gtTaken = new Uint8Array(16);
  /** Detection d's candidates (GT j with an IoU of at least the lowest threshold) are cand[candStart[d] .. candStart[d+1]). */
  candStart = new Int32Array(17);
  cand = new Int32Array(256);
  group: ImageGroup = { d0: 0, d1: 0, g0: 0, g1: 0, notExhaustive: false, pos0: 0, n: 0 };

  ensure(nd: number, ng: number): void {
    if (this.iou.length < nd * ng) {
      this.iou = new Float64Array(Math.max(nd * ng, 2 * this.iou.length));
      this.cand = new Int32Array(this.iou.length);
    }
    if (this.gtIgnored.length < ng) {
      const cap = Math.max(ng, 2 * this.gtIgnored.length);
      this.gtIgnored = new Uint8Array(cap);
      this.gtTaken = new Uint8Array(cap);
    }
    if (this.candStart.length < nd + 1) this.candStart = new Int32Array(Math.max(nd + 1, 2 * this.candStart.length));
  }
}

/** One image's detections and GT of one category, and where their statuses go. */
export interface ImageGroup {
  d0: number;
  d1: number;
  g0: number;
  g1: number;
  notExhaustive: boolean;
  /** Position of the first detection in the category's run, and the run's length. */
  pos0: number;
  n: number;
}

/**
 * Writes the status of every detection of category `c`: for the detection at position p of
 * the category's run in `sel.order`, area range a and threshold t, at
 * `status[(a * NUM_IOU + t) * n + p]` with n the category's detection count.
 */
export function matchCategory(gt: ScoringGt, dets: ScoringDets, sel: ScoringSelection, c: number, status: Uint8Array, scratch: MatchScratch, ious: IouSource): void {
  const d0 = sel.catStart[c]!;
  const dEnd = sel.catStart[c + 1]!;
  const gEnd = gt.catGtStart[c + 1]!;
  let g = gt.catGtStart[c]!;
  for (let d = d0; d < dEnd; ) {
    // The next image with detections of c, and its GT of c (both runs are image-ascending).
    const img = dets.image[sel.order[d]!]!;
    let de = d + 1;
    while (de < dEnd && dets.image[sel.order[de]!]! === img) de++;
    while (g < gEnd && gt.gtImage[g]! < img) g++;
    let ge = g;
    while (ge < gEnd && gt.gtImage[ge]! === img) ge++;
    const notExhaustive = gt.notExhaustive.has(img * gt.numCategories + c);
    const group = scratch.group;
    group.d0 = d;
    group.d1 = de;
    group.g0 = g;
    group.g1 = ge;
    group.notExhaustive = notExhaustive;
    group.pos0 = d - d0;
    group.n = dEnd - d0;
    scratch.ensure(de - d, ge - g);
    ious.fill(scratch.iou, sel.order, d, de, g, ge);
    candidates(scratch, de - d, ge - g);
    for (let a = 0; a < NUM_AREAS; a++) matchArea(gt, dets, sel.order, group, a, status, scratch);
    d = de;
    g = ge;
  }
}

/**
 * The GT each detection can match at all: IoU at least the lowest threshold (every other is
 * passed over by the greedy loop below at every threshold, as `iou < best`).
 */
function candidates(s: MatchScratch, nd: number, ng: number): void {
  const { iou, candStart, cand } = s;
  const lowest = LOWEST_MATCHING_IOU;
  let n = 0;
  for (let d = 0; d < nd; d++) {
    candStart[d] = n;
    for (let j = 0; j < ng; j++) if (iou[d * ng + j]! >= lowest) cand[n++] = j;
  }
  candStart[nd] = n;
}

/**
 * evaluate_img for one area range: GT outside it (or flagged `ignore`) ignored, greedy matching
 * per threshold. The API walks the GT with ignored ones moved last (numpy's stable sort on the
 * flag) and stops at the first ignored one once it holds a regular one: here the regular
 * candidates (in GT order), then the ignored ones only if no regular one matched.
 */
function matchArea(gt: ScoringGt, dets: ScoringDets, order: Int32Array, grp: ImageGroup, a: number, status: Uint8Array, s: MatchScratch): void {
  const { lo, hi } = AREA_RANGES[a]!;
  const { iou, gtIgnored, gtTaken, candStart, cand } = s;
  const nd = grp.d1 - grp.d0;
  const ng = grp.g1 - grp.g0;
  for (let j = 0; j < ng; j++) {
    const area = gt.gtArea[grp.g0 + j]!;
    gtIgnored[j] = gt.gtIgnore[grp.g0 + j] === 1 || area < lo || area > hi ? 1 : 0;
  }
  for (let t = 0; t < NUM_IOU; t++) {
    const base = (a * NUM_IOU + t) * grp.n + grp.pos0;
    const threshold = Math.min(IOU_THRESHOLDS[t]!, IOU_CAP);
    gtTaken.fill(0, 0, ng);
    for (let d = 0; d < nd; d++) {
      // Greedy: the best still-free GT with IoU >= the threshold; a later GT with an equal IoU
      // wins (the API moves on only when iou < best).
      let best = threshold;
      let m = -1;
      for (let pass = 0; pass < 2 && m < 0; pass++) {
        for (let k = candStart[d]!; k < candStart[d + 1]!; k++) {
          const j = cand[k]!;
          if (gtTaken[j] || gtIgnored[j] !== pass) continue;
          const v = iou[d * ng + j]!;
          if (v < best) continue;
          best = v;
          m = j;
        }
      }
      if (m >= 0) gtTaken[m] = 1;
      if (m >= 0 && gtIgnored[m]) status[base + d] = IGNORED;
      // The API records a match as the GT's id, and takes an id of 0 for "no match".
      else if (m >= 0 && !gt.gtIdZero[grp.g0 + m]) status[base + d] = TP;
      else status[base + d] = grp.notExhaustive || outside(dets, order[grp.d0 + d]!, lo, hi) ? IGNORED : FP;
    }
  }
}

/** An unmatched detection outside the area range is ignored; its area is LVISResults' (areas.ts). */
function outside(dets: ScoringDets, row: number, lo: number, hi: number): boolean {
  const area = dets.area[row]!;
  return area < lo || area > hi;
}
