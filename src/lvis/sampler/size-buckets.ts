/**
 * The original tool's `_size_bucket_from_bbox(bbox, areaRng)`: S / M / L object-size buckets.
 *
 * Boundaries. The original tool buckets half-open: S when a < area_small, M when a < area_medium,
 * else L, so an object of area exactly 32² is M and one of exactly 96² is L. The COCO and
 * LVIS evaluators (`areaRng = [[0, 32²], [32², 96²], [96², 1e5²]]`) ignore a ground truth
 * when `area < lo or area > hi`, i.e. their ranges are closed on both ends and an object of
 * area exactly 32² counts as both small and medium there. A partition cannot put one object
 * in two buckets, so we keep the original tool's half-open rule; it agrees with the evaluators
 * everywhere except on those exact boundary values.
 *
 * Measure (`size_from`):
 * - `bbox` (the original tool): a = w·h of the box. Like the original tool, a box with w < 1 or h < 1 gets no
 *   bucket and is left out of the histograms (LVIS has a few such degenerate boxes).
 * - `area` (the LVIS evaluator's measure): the annotation's `area` field, the segmentation
 *   area. Every annotation gets a bucket; an annotation without `area` is a data error.
 */
export const SIZE_NAMES = ['S', 'M', 'L'] as const;
export type SizeName = (typeof SIZE_NAMES)[number];
export type SizeFrom = 'bbox' | 'area';

/** No bucket: a degenerate box in `bbox` mode. */
export const NO_BUCKET = -1;

export interface SizeRule {
  /** Upper bound (exclusive) of S, in pixels² (default 32² = 1024). */
  areaSmall: number;
  /** Upper bound (exclusive) of M, in pixels² (default 96² = 9216). */
  areaMedium: number;
  sizeFrom: SizeFrom;
}

export const DEFAULT_SIZE_RULE: SizeRule = { areaSmall: 32 * 32, areaMedium: 96 * 96, sizeFrom: 'bbox' };

/** 0 = S, 1 = M, 2 = L for an area `a`. */
export function bucketOfArea(a: number, rule: SizeRule): number {
  if (a < rule.areaSmall) return 0;
  if (a < rule.areaMedium) return 1;
  return 2;
}

/** The original tool's `_size_bucket_from_bbox`: NO_BUCKET when w < 1 or h < 1. */
export function sizeBucketFromBbox(w: number, h: number, rule: SizeRule): number {
  if (w < 1 || h < 1) return NO_BUCKET;
  return bucketOfArea(w * h, rule);
}

/**
 * The size bucket of every annotation of `annotations`, by the rule (Int8Array, NO_BUCKET
 * for degenerate boxes in `bbox` mode). In `area` mode, returns the index of the first
 * annotation whose `area` is missing (NaN) instead, so the caller can report it.
 */
export function bucketAnnotations(
  annotations: { count: number; bbox: Float64Array; area: Float64Array },
  rule: SizeRule,
): { buckets: Int8Array; missingArea: number[] } {
  const n = annotations.count;
  const buckets = new Int8Array(n);
  const missingArea: number[] = [];
  if (rule.sizeFrom === 'bbox') {
    const bbox = annotations.bbox;
    for (let a = 0; a < n; a++) buckets[a] = sizeBucketFromBbox(bbox[4 * a + 2]!, bbox[4 * a + 3]!, rule);
  } else {
    const area = annotations.area;
    for (let a = 0; a < n; a++) {
      const v = area[a]!;
      if (Number.isNaN(v)) {
        buckets[a] = NO_BUCKET;
        missingArea.push(a);
      } else buckets[a] = bucketOfArea(v, rule);
    }
  }
  return { buckets, missingArea };
}
