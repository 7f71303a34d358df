/**
 * LVISEval.accumulate for one category: precision at the 101 recall points and final recall,
 * per area range and IoU threshold, reduced at once to the sums the summary needs (the API
 * keeps the whole precision array only to average it later).
 */
import { TP, FP } from './match.js';
import { NUM_AREAS, NUM_IOU, NUM_RECALL, PRECISION_EPS, RECALL_THRESHOLDS } from './params.js';

/** One category's results; an area range with numGt 0 has no values (the API's -1). */
export interface CategoryScores {
  /** Non-ignored GT per area range. */
  numGt: Int32Array;
  /** Per area range: mean of precision over thresholds and recall points (AP). */
  ap: Float64Array;
  /** Per area range and threshold, at [a * NUM_IOU + t]: mean precision over recall points. */
  apAt: Float64Array;
  /** Per area range: mean over thresholds of the recall reached by all detections (AR). */
  ar: Float64Array;
}

export function newCategoryScores(): CategoryScores {
  return {
    numGt: new Int32Array(NUM_AREAS),
    ap: new Float64Array(NUM_AREAS).fill(-1),
    apAt: new Float64Array(NUM_AREAS * NUM_IOU).fill(-1),
    ar: new Float64Array(NUM_AREAS).fill(-1),
  };
}

/** Buffers of per-detection precision/recall, reused across categories. */
export class AccumulateScratch {
  pr = new Float64Array(1024);
  rc = new Float64Array(1024);

  ensure(n: number): void {
    if (this.pr.length < n) {
      this.pr = new Float64Array(Math.max(n, 2 * this.pr.length));
      this.rc = new Float64Array(this.pr.length);
    }
  }
}

/**
 * Fills `out` for a category with `n` detections whose statuses (match.ts layout) are in
 * `status`; `rank` lists positions 0..n-1 by score descending, ties by position (the API's
 * stable sort of the image-ascending concatenation). `out.numGt` must be set.
 */
export function accumulateCategory(status: Uint8Array, n: number, rank: Int32Array, out: CategoryScores, s: AccumulateScratch): void {
  s.ensure(n);
  const { pr, rc } = s;
  for (let a = 0; a < NUM_AREAS; a++) {
    const numGt = out.numGt[a]!;
    if (numGt === 0) continue; // the API skips it: precision and recall stay -1
    let apSum = 0;
    let arSum = 0;
    for (let t = 0; t < NUM_IOU; t++) {
      const base = (a * NUM_IOU + t) * n;
      let tp = 0;
      let fp = 0;
      // Ignored detections stay in the arrays as repeats of the previous point, as in the API.
      for (let i = 0; i < n; i++) {
        const st = status[base + rank[i]!];
        if (st === TP) tp++;
        else if (st === FP) fp++;
        rc[i] = tp / numGt;
        pr[i] = tp / (fp + tp + PRECISION_EPS);
      }
      // Recall is the last point's (0 without detections).
      arSum += n > 0 ? rc[n - 1]! : 0;
      // Each precision becomes the maximum at its right.
      for (let i = n - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
      // Precision at each recall point: at the first detection with rc >= r
      // (searchsorted side='left'); 0 once no detection reaches r (the API's caught IndexError).
      let sum = 0;
      let i = 0;
      for (let r = 0; r < NUM_RECALL; r++) {
        const thr = RECALL_THRESHOLDS[r]!;
        while (i < n && rc[i]! < thr) i++;
        if (i >= n) break;
        sum += pr[i]!;
      }
      out.apAt[a * NUM_IOU + t] = sum / NUM_RECALL;
      apSum += sum;
    }
    out.ap[a] = apSum / (NUM_IOU * NUM_RECALL);
    out.ar[a] = arSum / NUM_IOU;
  }
}
