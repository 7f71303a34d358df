/**
 * The class×size part of a swap's exact objective change for `mismatch: seed` and `chi2`
 * (objective.ts `swapDelta`; `js` has its own, objective-js.ts): per tier the sums D, E, G of
 * both images and the cross term of their shared keys, from one merged walk of their entries.
 */
import { shareChi2 } from './objective-terms.js';
import type { SamplerProblem } from './problem.js';

/** What a swap reads of a subset's state (an `ObjectiveState`). */
export interface SwapStateView {
  readonly p: SamplerProblem;
  readonly v: Float64Array;
  readonly r1: Float64Array;
  readonly term: Float64Array;
  tierWith(t: number, dR1: number, dR2: number): number;
  shareTerm(): number;
}

/** swapDelta's class×size part for `seed` and `chi2` (with the share term). */
export function swapMismatchDelta(s: SwapStateView, j: number, i: number): number {
  const p = s.p;
  const h = p.hist;
  const { binOffsets, binKey, binCount } = h;
  const { lin, quad, tierOfKey } = p;
  const v = s.v;
  // Per tier: Dj, Ej, Gj, Di, Ei, Gi, cross X = Σ x_j x_i quad.
  let dj0 = 0, dj1 = 0, dj2 = 0, ej0 = 0, ej1 = 0, ej2 = 0, gj0 = 0, gj1 = 0, gj2 = 0;
  let di0 = 0, di1 = 0, di2 = 0, ei0 = 0, ei1 = 0, ei2 = 0, gi0 = 0, gi1 = 0, gi2 = 0;
  let x0 = 0, x1 = 0, x2 = 0;
  let a = binOffsets[j]!;
  const aEnd = binOffsets[j + 1]!;
  let b = binOffsets[i]!;
  const bEnd = binOffsets[i + 1]!;
  while (a < aEnd || b < bEnd) {
    const ka = a < aEnd ? binKey[a]! : 0x7fffffff;
    const kb = b < bEnd ? binKey[b]! : 0x7fffffff;
    if (ka <= kb) {
      const k = ka;
      const x = binCount[a]!;
      const xa = x * lin[k]!;
      const xq = x * quad[k]!;
      const gg = v[k]! * xq;
      const t = tierOfKey[k]!;
      if (t === 0) { dj0 += xa; ej0 += x * xq; gj0 += gg; }
      else if (t === 1) { dj1 += xa; ej1 += x * xq; gj1 += gg; }
      else { dj2 += xa; ej2 += x * xq; gj2 += gg; }
      if (ka === kb) {
        const cross = xq * binCount[b]!;
        if (t === 0) x0 += cross;
        else if (t === 1) x1 += cross;
        else x2 += cross;
      }
      a++;
    }
    if (kb <= ka) {
      const k = kb;
      const x = binCount[b]!;
      const xa = x * lin[k]!;
      const xq = x * quad[k]!;
      const gg = v[k]! * xq;
      const t = tierOfKey[k]!;
      if (t === 0) { di0 += xa; ei0 += x * xq; gi0 += gg; }
      else if (t === 1) { di1 += xa; ei1 += x * xq; gi1 += gg; }
      else { di2 += xa; ei2 += x * xq; gi2 += gg; }
      b++;
    }
  }
  const w = p.weights;
  let delta =
    w.tierWeights[0]! * swapVarianceDelta(s, 0, dj0, ej0, gj0, di0, ei0, gi0, x0) +
    w.tierWeights[1]! * swapVarianceDelta(s, 1, dj1, ej1, gj1, di1, ei1, gi1, x1) +
    w.tierWeights[2]! * swapVarianceDelta(s, 2, dj2, ej2, gj2, di2, ei2, gi2, x2);
  if (p.lambdaShare !== 0) {
    const r1 = s.r1;
    delta +=
      p.lambdaShare * shareChi2(r1[0]! - dj0 + di0, r1[1]! - dj1 + di1, r1[2]! - dj2 + di2, p.invShare) -
      s.shareTerm();
  }
  return delta;
}

/** A tier's mismatch change when j (D, E, G: dj, ej, gj) is swapped for i (di, ei, gi). */
function swapVarianceDelta(
  s: SwapStateView,
  t: number,
  dj: number, ej: number, gj: number,
  di: number, ei: number, gi: number,
  cross: number,
): number {
  if (s.p.tierK[t]! === 0) return 0;
  if (dj === 0 && di === 0) return 0;
  const dR2 = -2 * gj + ej + 2 * (gi - cross) + ei;
  const dR1 = di - dj;
  if (s.p.chi2) return s.tierWith(t, dR1, dR2) - s.term[t]!;
  const K = s.p.tierK[t]!;
  return dR2 / K - (dR1 * (2 * s.r1[t]! + dR1)) / (K * K);
}
