/**
 * The objective computed the original tool's dense way, from an `ObjectiveState`'s counts:
 * the reference the incremental scorer (objective.ts) is tested and benchmarked against.
 */
import { densityCounts, densityPenalty } from './density.js';
import { mismatchDense, rareCapPenalty, shareChi2, tierMixPenalty } from './objective-terms.js';
import type { SamplerProblem } from './problem.js';

/** What the dense reference reads of a subset's state (an `ObjectiveState` has all of it). */
export interface DenseStateView {
  readonly p: SamplerProblem;
  readonly v: Float64Array;
  readonly term: Float64Array;
  readonly n: Int32Array;
  readonly size: number;
  readonly presence: Int32Array;
  readonly selected: Uint8Array;
  /** Selected images per density bin, and their annotations. */
  readonly densityH: Int32Array;
  readonly annotations: number;
}

/** `js`'s sampling rate and Σ ref at a subset size (objective-terms.ts jsMismatch). */
function jsAt(p: SamplerProblem, size: number): { rate: number; refTotal: number } {
  return { rate: size * p.ratePerImage, refTotal: p.refTotal };
}

/**
 * `js`: the greedy's rank of i (objective-js.ts `jsScoreIfAdd`) computed densely: the `js` term
 * over every key at the rate of |S| + 1 with i added, minus the same without i, plus the tier-mix
 * and rare-cap penalties with i.
 */
export function denseJsRankIfAdd(state: DenseStateView, i: number): number {
  const p = state.p;
  const h = p.hist;
  const w = p.weights;
  const at = jsAt(p, state.size + 1);
  const withI = Float64Array.from(state.v);
  for (let q = h.binOffsets[i]!; q < h.binOffsets[i + 1]!; q++) withI[h.binKey[q]!] += h.binCount[q]!;
  let s = 0;
  for (let t = 0; t < 3; t++) {
    const k0 = h.tierKeyStart[t]!;
    const k1 = h.tierKeyStart[t + 1]!;
    const ref = h.ref.subarray(k0, k1);
    s += w.tierWeights[t]! * (mismatchDense('js', withI.subarray(k0, k1), ref, at) - mismatchDense('js', state.v.subarray(k0, k1), ref, at));
  }
  const nn = [0, 0, 0];
  for (let t = 0; t < 3; t++) nn[t] = state.n[t]! + ((p.countMask[i]! >> t) & 1);
  s += w.lambdaTier * tierMixPenalty(nn, w.target, state.size + 1);
  for (let q = p.rareOffsets[i]!; q < p.rareOffsets[i + 1]!; q++) state.presence[p.rareCategories[q]!]!++;
  s += w.lambdaCap * rareCapPenalty(state.presence, p.quota);
  for (let q = p.rareOffsets[i]!; q < p.rareOffsets[i + 1]!; q++) state.presence[p.rareCategories[q]!]!--;
  return s;
}

/**
 * J(S ∪ {i}) computed densely (`seed`, `chi2`; for `js` see denseJsRankIfAdd): for each tier the candidate touches, the dense vector
 * cur + X[i] (K_t entries) and the mismatch (score_classsize or χ²) over it; the rare-cap
 * penalty over every rare class; the density term over every bin. `scratch` holds at least
 * keyCount numbers.
 */
export function denseScoreIfAdd(state: DenseStateView, i: number, scratch: Float64Array): number {
  const p = state.p;
  const h = p.hist;
  const w = p.weights;
  const mask = h.imageTierMask[i]!;
  let s = 0;
  const Vt = [0, 0, 0];
  for (let t = 0; t < 3; t++) {
    let score = state.term[t]!;
    if (mask & (1 << t)) {
      const k0 = h.tierKeyStart[t]!;
      const k1 = h.tierKeyStart[t + 1]!;
      scratch.set(state.v.subarray(k0, k1), k0);
      for (let q = h.binOffsets[i]!, end = h.binOffsets[i + 1]!; q < end; q++) {
        const k = h.binKey[q]!;
        if (k >= k0 && k < k1) scratch[k] += h.binCount[q]!;
      }
      score = mismatchDense(p.mismatch, scratch.subarray(k0, k1), h.ref.subarray(k0, k1), jsAt(p, p.finalSize));
    }
    s += w.tierWeights[t]! * score;
    if (p.lambdaShare !== 0) {
      const k0 = h.tierKeyStart[t]!;
      const k1 = h.tierKeyStart[t + 1]!;
      const src = mask & (1 << t) ? scratch : state.v;
      for (let k = k0; k < k1; k++) Vt[t] += src[k]!;
    }
  }
  if (p.lambdaShare !== 0) s += p.lambdaShare * shareChi2(Vt[0]!, Vt[1]!, Vt[2]!, p.invShare);
  const counted = p.countMask[i]!;
  const nn = [0, 0, 0];
  for (let t = 0; t < 3; t++) nn[t] = state.n[t]! + ((counted >> t) & 1);
  s += w.lambdaTier * tierMixPenalty(nn, w.target, state.size + 1);
  const { rareOffsets, rareCategories } = p;
  for (let q = rareOffsets[i]!; q < rareOffsets[i + 1]!; q++) state.presence[rareCategories[q]!]!++;
  s += w.lambdaCap * rareCapPenalty(state.presence, p.quota);
  for (let q = rareOffsets[i]!; q < rareOffsets[i + 1]!; q++) state.presence[rareCategories[q]!]!--;
  if (p.lambdaDensity !== 0) {
    const d = p.density;
    const bins = Float64Array.from(state.densityH);
    if (d.binOf[i]! >= 0) bins[d.binOf[i]!]!++;
    s += p.lambdaDensity * densityPenalty(d, bins, state.size + 1, state.annotations + d.count[i]!);
  }
  return s;
}

/** J(S) recomputed from scratch, densely, from the selected images (tests and cross-checks). */
export function denseObjective(state: DenseStateView): number {
  const p = state.p;
  const h = p.hist;
  const w = p.weights;
  let s = 0;
  const Vt = [0, 0, 0];
  for (let t = 0; t < 3; t++) {
    const k0 = h.tierKeyStart[t]!;
    const k1 = h.tierKeyStart[t + 1]!;
    s += w.tierWeights[t]! * mismatchDense(p.mismatch, state.v.subarray(k0, k1), h.ref.subarray(k0, k1), jsAt(p, p.finalSize));
    for (let k = k0; k < k1; k++) Vt[t] += state.v[k]!;
  }
  if (p.lambdaShare !== 0) s += p.lambdaShare * shareChi2(Vt[0]!, Vt[1]!, Vt[2]!, p.invShare);
  s += w.lambdaTier * tierMixPenalty(state.n, w.target, state.size);
  s += w.lambdaCap * rareCapPenalty(state.presence, p.quota);
  if (p.lambdaDensity !== 0) {
    const selected: number[] = [];
    for (let i = 0; i < state.selected.length; i++) if (state.selected[i]) selected.push(i);
    const { h: bins, annotations } = densityCounts(p.density, selected);
    s += p.lambdaDensity * densityPenalty(p.density, bins, selected.length, annotations);
  }
  return s;
}
