/**
 * The fixed parameters of LVIS box evaluation (lvis-api `lvis/eval.py`, class `Params`, mode
 * "default"). They are constants there too: nothing in the API's default run changes them.
 */

/**
 * numpy.linspace(start, stop, num): `i * step + start` with `step = (stop - start) / (num - 1)`,
 * and the last element set to `stop`. Computing the values the same way gives the API's exact
 * doubles (its 9th IoU threshold is 0.8999999999999999, not 0.9), which matters because a
 * match needs `iou >= threshold` and recall points are compared with `>=`.
 */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/** IoU thresholds .50:.05:.95 (10). */
export const IOU_THRESHOLDS: Float64Array = linspace(0.5, 0.95, 10);
export const NUM_IOU = IOU_THRESHOLDS.length;
/** Indices of 0.50 and 0.75 in IOU_THRESHOLDS (the API finds them with `==`, which holds). */
export const IOU_50 = 0;
export const IOU_75 = 5;

/** Recall points 0:.01:1 (101). */
export const RECALL_THRESHOLDS: Float64Array = linspace(0, 1, 101);
export const NUM_RECALL = RECALL_THRESHOLDS.length;

/**
 * The API matches with `min(iou_thr, 1 - 1e-10)` as the starting bar, so that an IoU of
 * exactly 1 still matches even if a threshold were 1; kept for exactness.
 */
export const IOU_CAP = 1 - 1e-10;

/** The lowest IoU that can match at any threshold: a pair below it is never a candidate (match.ts). */
export const LOWEST_MATCHING_IOU = Math.min(IOU_THRESHOLDS[0]!, IOU_CAP);

/** numpy.spacing(1): keeps precision = tp / (tp + fp + eps) finite when tp = fp = 0. */
export const PRECISION_EPS = Number.EPSILON;

/**
 * Area ranges, both ends inclusive: the API marks a GT (or an unmatched detection) as outside
 * a range when `area < lo or area > hi`, so an area of exactly 32² counts as small AND medium,
 * and 96² as medium AND large. `1e5 ** 2` is exactly 1e10.
 */
export const AREA_RANGES = [
  { label: 'all', lo: 0, hi: 1e10 },
  { label: 'small', lo: 0, hi: 32 ** 2 },
  { label: 'medium', lo: 32 ** 2, hi: 96 ** 2 },
  { label: 'large', lo: 96 ** 2, hi: 1e10 },
] as const;
export const NUM_AREAS = AREA_RANGES.length;

/** LVISResults' default `max_dets_per_im`: at most this many detections per image, across categories. */
export const MAX_DETS_PER_IMAGE = 300;

/** Frequency tiers in the API's order (`img_count_lbl`); a category's tier is an index into it. */
export const FREQUENCIES = ['r', 'c', 'f'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** The summary names, exactly as `LVISEval.results` has them in default mode, in its order. */
export const METRIC_NAMES = [
  'AP',
  'AP50',
  'AP75',
  'APs',
  'APm',
  'APl',
  'APr',
  'APc',
  'APf',
  'AR@300',
  'ARs@300',
  'ARm@300',
  'ARl@300',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
