/**
 * The `js` class×size mismatch (the default; not in the original tool): the Jensen–Shannon
 * divergence of the subset's (category, size) counts from the full set's at the subset's
 * sampling rate.
 *
 * With I the images with annotations, a uniform sample of n of them holds on average
 * τ_k = ref_k · n / I annotations of key k. The term is
 *
 *   J_js = κ · Σ_k w_k φ(v_k, τ_k) / Σ_k τ_k,   φ(v, τ) = v ln(2v/(v + τ)) + τ ln(2τ/(v + τ))
 *
 * (w_k: its tier's weight, κ = JS_SCALE): twice the JS divergence (nats) between the subset's
 * counts and the targets, normalised by the targets' total. Why this and not `chi2`:
 *
 * - It is mass-weighted over all keys at once, like the JS the quality report gives: no
 *   between-tier term is needed, and no tier's shape outweighs its share of the annotations.
 * - Its targets are counts, not shares, at the subset's image count: an image that brings
 *   more annotations than its share overshoots its keys and pays for it. χ² of shares falls as
 *   annotations are added whatever they are, which made the greedy prefer crowded images (the
 *   density term had to hold them back; density-band.ts now does, as a constraint).
 * - φ saturates (≈ v ln 2 for v ≫ τ) where χ² grows as v²/τ: a rare key that the cover phase
 *   must take costs what it costs the JS, and the greedy does not over-sample the rare tier to
 *   dilute it (what λ_share had to hold back in `chi2`).
 *
 * J(S) uses the final targets τ*_k = ref_k · N / I (N = total_images, `finalSize`), so that it
 * is kept exactly per key as the subset changes (O(entries) per added image) and it is the
 * refinement's objective. The greedy pick and the cover rank candidates at the rate of the
 * subset as it will be after the pick, τ_k = ref_k · (|S| + 1) / I (the same when |S| + 1 = N):
 * early picks are compared with a small subset's targets, so no image is preferred for being
 * crowded. Only the candidate's own keys differ between candidates, so a candidate costs
 * O(its entries): with x ln x tabled for integers, two logarithms per entry.
 */
import { JS_SCALE, jsPhi } from './objective-terms.js';
import type { SamplerProblem } from './problem.js';

/** What the `js` scorers read of a subset's state (an `ObjectiveState`). */
export interface JsStateView {
  readonly p: SamplerProblem;
  readonly v: Float64Array;
  readonly n: Int32Array;
  readonly size: number;
  readonly presence: Int32Array;
  readonly capOver: number;
  /**
   * A per-key cache of ln(v_k + τ_k) at the rate of the state's next pick: valid
   * for key k while `jsStamp[k]` equals `jsEpoch`, which changes whenever the subset does.
   */
  readonly jsStamp: Int32Array;
  readonly jsLog: Float64Array;
  readonly jsEpoch: number;
}

/** φ(v + dv, τ) − φ(v, τ) for integer counts v, v + dv (x ln x of them from the table). */
function phiChange(table: Float64Array, v: number, dv: number, tau: number): number {
  const a = v + tau;
  const b = a + dv;
  return table[v + dv]! - table[v]! - (b > 0 ? b * Math.log(b) : 0) + (a > 0 ? a * Math.log(a) : 0) + dv * Math.LN2;
}

/** κ / Σ_k τ_k at size n (0 without keys or images). */
function scaleAt(p: SamplerProblem, n: number): number {
  const total = n * p.ratePerImage * p.refTotal;
  return total > 0 ? JS_SCALE / total : 0;
}

/** Per tier: Σ_k φ(v_k, τ*_k) of the keys of tier t, from scratch (the state's start). */
export function jsTierSums(p: SamplerProblem, v: Float64Array): Float64Array {
  const sums = new Float64Array(3);
  const rate = p.finalSize * p.ratePerImage;
  for (let k = 0; k < p.keyCount; k++) sums[p.tierOfKey[k]!] += jsPhi(v[k]!, rate * p.hist.ref[k]!);
  return sums;
}

/** The change of key k's φ(v_k, τ*_k) when v_k goes from `before` to `after` (J's own targets). */
export function jsKeyChange(p: SamplerProblem, k: number, before: number, after: number): number {
  return phiChange(p.xlogxTable, before, after - before, p.finalSize * p.ratePerImage * p.hist.ref[k]!);
}

/** The tier's `js` term (before w_t) from its Σ φ(v_k, τ*_k). */
export function jsTerm(p: SamplerProblem, sum: number): number {
  return scaleAt(p, p.finalSize) * sum;
}

/**
 * The greedy's and the cover's rank of candidate i: the `js` term's change at the rate of the
 * subset with i (see the header), plus the tier-mix penalty and the rare-cap penalty with i,
 * absolute. Lower is better; only differences between the candidates of one step mean anything.
 * (Scalar accumulators: the hot loop of every greedy step.)
 */
export function jsScoreIfAdd(s: JsStateView, i: number): number {
  const p = s.p;
  const rows = p.imageRows;
  const pairs = p.binPairs;
  const table = p.xlogxTable;
  const ref = p.hist.ref;
  const weight = p.keyWeight;
  const v = s.v;
  const n1 = s.size + 1;
  const rate = n1 * p.ratePerImage;
  const row = 8 * i;
  const { jsStamp, jsLog, jsEpoch } = s;
  let d = 0;
  for (let q = 2 * rows[row]!, end = 2 * rows[row + 1]!; q < end; q += 2) {
    const k = pairs[q]!;
    const x = pairs[q + 1]!;
    const vk = v[k]! | 0;
    // φ(v + x, τ) − φ(v, τ) = h(v + x) − h(v) − [h(a + x) − h(a)] + x ln 2, h(z) = z ln z,
    // a = v + τ: the first two from the table, ln a cached per key for this step. The bracket is
    // x (1 + ln a) + a g(x/a), g(u) = (1 + u) ln(1 + u) − u; for u ≤ 1/32 g's alternating
    // series to u⁶ (error below x · 2.3e-11, far under the 1e-9 the tests hold the scorer to)
    // replaces a logarithm: most entries of a pick are of frequent keys, with a ≫ x.
    const a = vk + rate * ref[k]!;
    let la: number;
    if (jsStamp[k] === jsEpoch) la = jsLog[k]!;
    else {
      la = Math.log(a);
      jsLog[k] = la;
      jsStamp[k] = jsEpoch;
    }
    let step: number;
    if (32 * x <= a) {
      const u = x / a;
      step = x * (1 + la) + a * u * u * (1 / 2 - u * (1 / 6 - u * (1 / 12 - u * (1 / 20 - u / 30))));
    } else {
      const b = a + x;
      step = b * Math.log(b) - a * la;
    }
    d += weight[k]! * (table[vk + x]! - table[vk]! - step + x * Math.LN2);
  }
  const w = p.weights;
  const counted = rows[row + 4]!;
  const target = w.target;
  const t0 = (s.n[0]! + (counted & 1)) / n1 - target[0]!;
  const t1 = (s.n[1]! + ((counted >> 1) & 1)) / n1 - target[1]!;
  const t2 = (s.n[2]! + ((counted >> 2) & 1)) / n1 - target[2]!;
  let cap = s.capOver;
  for (let q = rows[row + 2]!, end = rows[row + 3]!; q < end; q++) {
    const c = p.rareCategories[q]!;
    if (s.presence[c]! >= p.quota[c]!) cap++;
  }
  return scaleAt(p, n1) * d + (w.lambdaTier * (t0 * t0 + t1 * t1 + t2 * t2)) / 3 + w.lambdaCap * cap;
}

/** The `js` term's change (after w_t, J's targets) when selected j is swapped for unselected i. */
export function jsSwapMismatchDelta(s: JsStateView, j: number, i: number): number {
  const p = s.p;
  const { binOffsets, binKey, binCount } = p.hist;
  let d = 0;
  let a = binOffsets[j]!;
  const aEnd = binOffsets[j + 1]!;
  let b = binOffsets[i]!;
  const bEnd = binOffsets[i + 1]!;
  while (a < aEnd || b < bEnd) {
    const ka = a < aEnd ? binKey[a]! : 0x7fffffff;
    const kb = b < bEnd ? binKey[b]! : 0x7fffffff;
    const k = Math.min(ka, kb);
    const dv = (kb === k ? binCount[b++]! : 0) - (ka === k ? binCount[a++]! : 0);
    if (dv !== 0) d += p.keyWeight[k]! * jsKeyChange(p, k, s.v[k]!, s.v[k]! + dv);
  }
  return scaleAt(p, p.finalSize) * d;
}
