/**
 * The sampler's objective: the original tool's three "objective pieces" and an exact, incremental
 * way to evaluate them.
 *
 * The original tool's functions (dense, as written in the original tool):
 * - `scoreClassSize(v, ref)` = score_classsize: r_k = v_k / max(ref_k, 1e-9),
 *   m = mean_k r_k, result = mean_k (r_k − m)². The original tool's words "compares ratios vs full
 *   ref_counts; mean squared error of ratios": the mean squared deviation of the per-key
 *   sampling ratios from their mean, i.e. their population variance. It is 0 exactly when
 *   every (category, size) key of the tier is sampled at the same rate; it is blind to the
 *   rate itself (that is the tier-mix term's job). A tier with no keys scores 0 (numpy would
 *   give NaN for the mean of an empty vector).
 * - `tierMixPenalty(n, target, total)` = tier_mix_penalty: mean over the three tiers of
 *   (n_t / total − target_t)², 0 when total is 0. n_t counts the selected images that have
 *   at least one (bucketed) annotation of tier t, so an image counts once for every tier it
 *   touches and the shares can sum to more than 1 while the target sums to 1 (as in the original tool).
 * - `rareCapPenalty(presence, quota)` = rare_cap_penalty: Σ over rare classes with a quota of
 *   max(0, images_with_class − quota).
 *
 * The objective of a subset S (the original tool's docstring: "score = Σ_t w_t · classsize_t +
 * λ_tier · tier_penalty + λ_cap · rare_overage"):
 *
 *   J(S) = Σ_t w_t · scoreClassSize(v_t(S), ref_t) + λ_tier · tierMixPenalty(n(S), target, |S|)
 *          + λ_cap · rareCapPenalty(presence(S), quota)
 *
 * and the greedy step's score of a candidate i is J(S ∪ {i}) (less any tier bonus).
 * Reading: the design text's "for each candidate, compute score = class-size mismatch
 * (weighted per tier) + λ_tier · tier_mix_penalty + λ_cap · rare_cap_penalty" with the original tool's
 * own functions, evaluated on the subset as it would be with the candidate. (The published
 * Python adds a tier's class-size term only when the candidate touches that tier, and counts
 * the rare overage of the candidate's classes only; that makes candidates that touch fewer
 * tiers look better for no reason and has no global objective for refinement to lower, so we
 * evaluate the full objective. Untouched tiers add the same constant to every candidate.)
 *
 * Exact incremental evaluation. Per tier keep R1 = Σ r_k and the variance itself (recomputed
 * exactly, in two passes, whenever the tier changes: O(K_t) per committed image). Adding an
 * image with entries x_k (a_k = 1/ref_k) changes a tier's variance by
 *
 *   Δvar = (2G + E) / K − D (2 R1 + D) / K²,   D = Σ x_k a_k,  E = Σ x_k² a_k²,  G = Σ v_k x_k a_k²
 *
 * with sums over the image's own non-zero entries only: O(nnz) per candidate instead of O(K).
 * The tier-mix term is O(1) and the rare-cap change is +1 for every rare class of the
 * candidate already at or over its quota.
 *
 * Two class×size mismatch terms (`Mismatch`, option `mismatch`):
 * - `seed`: score_classsize above, exactly as the original tool. Not scale-free (it grows with the
 *   square of the sampling rate, so an optimizer lowers it by choosing images with few
 *   annotations) and it weighs a key with one full-set annotation like a key with 10,000.
 * - `chi2` (default): per tier, the Pearson χ² divergence of the subset's within-tier key
 *   shares p_k = v_k / V from the full set's q_k = ref_k / R (V = Σ v_k, R = Σ ref_k over the
 *   tier's keys):
 *
 *     χ²_t = Σ_k (p_k − q_k)² / q_k = R · Σ_k v_k² / ref_k / V² − 1
 *
 *   mass-weighted and scale-free (the second-order approximation of KL and of 8·JS·ln 2). A
 *   tier with keys but nothing of it in the subset (V = 0) scores 1, its value for p = 0
 *   (Σ q_k = 1); a tier without keys scores 0. Plus λ_share times the between-tier term
 *
 *     χ²_share = Σ_t (P_t − Q_t)² / Q_t,  P_t = V_t / Σ_u V_u,  Q_t = R_t / Σ_u R_u
 *
 *   (1 for an empty subset), the χ² of the tiers' annotation shares: the part of the global
 *   key distribution the per-tier terms cannot see (the global χ² is exactly
 *   Σ_t (P_t²/Q_t)(1 + χ²_t) − 1). It costs O(1) per candidate (the V_t + D_t are at hand).
 *
 * Both are evaluated with the same per-key coefficients lin_k and quad_k (`seed`: 1/ref_k and
 * 1/ref_k²; `chi2`: 1 and 1/ref_k) and the same per-image sums D = Σ x_k lin_k,
 * E = Σ x_k² quad_k, G = Σ v_k x_k quad_k; per tier the state keeps R1 = Σ v_k lin_k and
 * R2 = Σ v_k² quad_k. With i added, `chi2` is R · (R2 + 2G + E) / (R1 + D)² − 1 (R1 = V), and
 * `seed` is the variance formula above. Swaps use the same sums of both images and the cross
 * term of their shared keys.
 *
 * `js` (the default): the Jensen–Shannon divergence of the keys at the sampling rate, kept
 * per key; its scoring, swaps and why are in objective-js.ts. The state also carries the
 * density band (density-band.ts), a constraint that the searches rank by before J.
 *
 * `chi2` only, with λ_density > 0: plus λ_density · D(S), the density term (density.ts: the χ²
 * of the subset's histogram of annotations per image against the full set's, plus the squared
 * relative error of its mean), O(1) per candidate and per swap from Σ_b h_b² / q_b, |S| and
 * the subset's annotations. The dense reference is objective-dense.ts.
 */
import { DensityBand } from './density-band.js';
import { swapMismatchDelta } from './objective-swap.js';
import { jsKeyChange, jsScoreIfAdd, jsSwapMismatchDelta, jsTerm, jsTierSums } from './objective-js.js';
import { shareChi2, tierMixPenalty } from './objective-terms.js';
import { SamplerProblem } from './problem.js';

export { emptyTrace, pushTrace, type ObjectiveTrace } from './objective-trace.js';

/** The state of a subset under construction, with exact running sums per tier. */
export class ObjectiveState {
  /** Current counts per key. */
  readonly v: Float64Array;
  /** Per tier: R1 = Σ v_k lin_k, R2 = Σ v_k² quad_k, and the tier's mismatch (score_classsize or χ²). */
  readonly r1 = new Float64Array(3);
  readonly r2 = new Float64Array(3);
  readonly term = new Float64Array(3);
  /** Selected images touching each tier. */
  readonly n = new Int32Array(3);
  size = 0;
  /** Selected images containing each rare category. */
  readonly presence: Int32Array;
  /** rareCapPenalty(presence, quota), kept up to date. */
  capOver = 0;
  readonly selected: Uint8Array;
  /** Selected images per density bin, Σ_b h_b² / q_b, and the selected images' annotations (read-only for callers). */
  readonly densityH: Int32Array;
  densityS2 = 0;
  annotations = 0;
  /** The density band's state (null without one): kept in step with the subset by add and remove. */
  readonly band: DensityBand | null;
  /** `js`: per tier Σ_k φ(v_k, τ*_k) (objective-js.ts), kept per key as images come and go. */
  private readonly jsSum = new Float64Array(3);
  /** `js`: the scorer's per-key cache for the next pick and its epoch (objective-js.ts `JsStateView`). */
  readonly jsStamp: Int32Array;
  readonly jsLog: Float64Array;
  jsEpoch = 0;

  private readonly nn = new Int32Array(3);

  constructor(readonly p: SamplerProblem) {
    this.v = new Float64Array(p.keyCount);
    this.presence = new Int32Array(p.quota.length);
    this.selected = new Uint8Array(p.imageCount);
    this.densityH = new Int32Array(p.density.share.length);
    this.band = p.band ? new DensityBand(p.density.count, p.band.width, p.band.finalSize, p.density.mean) : null;
    // Quotas of 0 are exceeded by nothing yet: presence 0 − 0 = 0.
    this.jsStamp = new Int32Array(p.js ? p.keyCount : 0).fill(-1);
    this.jsLog = new Float64Array(p.js ? p.keyCount : 0);
    if (p.js) this.jsSum.set(jsTierSums(p, this.v));
    for (let t = 0; t < 3; t++) this.refreshTier(t);
  }

  /**
   * The tier's mismatch with sums changed by dR1 (ΣΔ of v·lin) and dR2 (ΣΔ of v²·quad);
   * both 0 → the current value exactly.
   */
  tierWith(t: number, dR1: number, dR2: number): number {
    if (dR1 === 0 && dR2 === 0) return this.term[t]!;
    const p = this.p;
    const K = p.tierK[t]!;
    if (K === 0) return 0;
    if (p.chi2) {
      const V = this.r1[t]! + dR1;
      return V > 0 ? (p.tierRef[t]! * (this.r2[t]! + dR2)) / (V * V) - 1 : 1;
    }
    return this.term[t]! + dR2 / K - (dR1 * (2 * this.r1[t]! + dR1)) / (K * K);
  }

  /** Σ_t w_t · mismatch_t (score_classsize_t or χ²_t). */
  classSizeTerm(): number {
    const w = this.p.weights.tierWeights;
    return w[0]! * this.term[0]! + w[1]! * this.term[1]! + w[2]! * this.term[2]! + this.shareTerm();
  }

  /** λ_share · χ²_share (chi2 with λ_share > 0; else 0). */
  shareTerm(): number {
    const p = this.p;
    if (p.lambdaShare === 0) return 0;
    return p.lambdaShare * shareChi2(this.r1[0]!, this.r1[1]!, this.r1[2]!, p.invShare);
  }

  tierTerm(): number {
    return tierMixPenalty(this.n, this.p.weights.target, this.size);
  }

  /** D(S), the density term before λ_density (density.ts); 0 without one. */
  densityTerm(): number {
    if (this.p.lambdaDensity === 0) return 0;
    return this.densityWith(-1, -1, 0);
  }

  /**
   * D(S) with an image of bin `add` added and one of bin `drop` removed (−1: none) and the
   * annotations changed by `da` (a swap keeps |S|).
   */
  private densityWith(add: number, drop: number, da: number): number {
    const d = this.p.density;
    const N = this.size;
    if (d.images === 0) return 0;
    if (N <= 0) return 1 + d.meanWeight;
    const inv = d.invShare;
    const h = this.densityH;
    let s2 = this.densityS2;
    if (drop >= 0) s2 += (1 - 2 * h[drop]!) * inv[drop]!;
    if (add >= 0) s2 += (2 * (h[add]! - (add === drop ? 1 : 0)) + 1) * inv[add]!;
    const mu = (this.annotations + da) / (N * d.mean) - 1;
    return s2 / (N * N) - 1 + d.meanWeight * mu * mu;
  }

  /** J(S). */
  objective(): number {
    const w = this.p.weights;
    return (
      this.classSizeTerm() + w.lambdaTier * this.tierTerm() + w.lambdaCap * this.capOver +
      this.p.lambdaDensity * this.densityTerm()
    );
  }

  /**
   * J(S ∪ {i}), from i's own entries only. (Written with scalar accumulators and the tier
   * terms inlined: this is the hot loop of every greedy step.)
   */
  scoreIfAdd(i: number): number {
    const p = this.p;
    if (p.js) return jsScoreIfAdd(this, i);
    const rows = p.imageRows;
    const pairs = p.binPairs;
    const tierOfKey = p.tierOfKey;
    const lin = p.lin;
    const quad = p.quad;
    const v = this.v;
    let d0 = 0, d1 = 0, d2 = 0, e0 = 0, e1 = 0, e2 = 0, g0 = 0, g1 = 0, g2 = 0;
    const row = 8 * i;
    for (let q = 2 * rows[row]!, end = 2 * rows[row + 1]!; q < end; q += 2) {
      const k = pairs[q]!;
      const x = pairs[q + 1]!;
      const xl = x * lin[k]!;
      const xq = x * quad[k]!;
      const t = tierOfKey[k]!;
      if (t === 0) { d0 += xl; e0 += x * xq; g0 += v[k]! * xq; }
      else if (t === 1) { d1 += xl; e1 += x * xq; g1 += v[k]! * xq; }
      else { d2 += xl; e2 += x * xq; g2 += v[k]! * xq; }
    }
    const w = p.weights;
    const tw = w.tierWeights;
    const term = this.term;
    let s: number;
    if (p.chi2) {
      const R = p.tierRef;
      const r1 = this.r1;
      const r2 = this.r2;
      const V0 = r1[0]! + d0, V1 = r1[1]! + d1, V2 = r1[2]! + d2;
      s =
        tw[0]! * (d0 === 0 ? term[0]! : (R[0]! * (r2[0]! + 2 * g0 + e0)) / (V0 * V0) - 1) +
        tw[1]! * (d1 === 0 ? term[1]! : (R[1]! * (r2[1]! + 2 * g1 + e1)) / (V1 * V1) - 1) +
        tw[2]! * (d2 === 0 ? term[2]! : (R[2]! * (r2[2]! + 2 * g2 + e2)) / (V2 * V2) - 1);
      if (p.lambdaShare !== 0) s += p.lambdaShare * shareChi2(V0, V1, V2, p.invShare);
    } else {
      const K = p.tierK;
      const r1 = this.r1;
      s =
        tw[0]! * (term[0]! + (d0 === 0 ? 0 : (2 * g0 + e0) / K[0]! - (d0 * (2 * r1[0]! + d0)) / (K[0]! * K[0]!))) +
        tw[1]! * (term[1]! + (d1 === 0 ? 0 : (2 * g1 + e1) / K[1]! - (d1 * (2 * r1[1]! + d1)) / (K[1]! * K[1]!))) +
        tw[2]! * (term[2]! + (d2 === 0 ? 0 : (2 * g2 + e2) / K[2]! - (d2 * (2 * r1[2]! + d2)) / (K[2]! * K[2]!)));
    }

    // Tier mix with the candidate counted (the original tool's tier_mix_penalty, inlined).
    const counted = rows[row + 4]!;
    const n = this.n;
    const target = w.target;
    const total = this.size + 1;
    const s0 = (n[0]! + (counted & 1)) / total - target[0]!;
    const s1 = (n[1]! + ((counted >> 1) & 1)) / total - target[1]!;
    const s2 = (n[2]! + ((counted >> 2) & 1)) / total - target[2]!;
    s += (w.lambdaTier * (s0 * s0 + s1 * s1 + s2 * s2)) / 3;

    let cap = this.capOver;
    const { rareCategories, quota } = p;
    const presence = this.presence;
    for (let q = rows[row + 2]!, end = rows[row + 3]!; q < end; q++) {
      const c = rareCategories[q]!;
      if (presence[c]! >= quota[c]!) cap++;
    }
    s += w.lambdaCap * cap;

    // Density (density.ts), inlined: D(S ∪ {i}) from i's bin and annotations.
    const ld = p.lambdaDensity;
    if (ld !== 0) {
      const b = rows[row + 5]!;
      const d = p.density;
      const n1 = this.size + 1;
      const mu = (this.annotations + rows[row + 6]!) / (n1 * d.mean) - 1;
      s += ld * ((this.densityS2 + (2 * this.densityH[b]! + 1) * d.invShare[b]!) / (n1 * n1) - 1 + d.meanWeight * mu * mu);
    }
    return s;
  }

  /**
   * scoreIfAdd for `pool[0 .. m)` into `out`. The candidates of a pool are random images,
   * so their rows and bins are cache misses; two quick gather passes that only touch them
   * let the CPU fetch them in parallel before the scoring pass (measured at full scale:
   * ~0.45 → ~0.33 µs per candidate with cold caches).
   */
  scorePool(pool: Int32Array, m: number, out: Float64Array): void {
    const rows = this.p.imageRows;
    const pairs = this.p.binPairs;
    let touch = 0;
    for (let q = 0; q < m; q++) touch += rows[8 * pool[q]!]!;
    for (let q = 0; q < m; q++) touch += pairs[2 * rows[8 * pool[q]!]!]!;
    this.touched = touch;
    for (let q = 0; q < m; q++) out[q] = this.scoreIfAdd(pool[q]!);
  }

  /** Keeps the gather passes' reads observable (so they are not optimized away). */
  touched = 0;

  add(i: number): void {
    this.apply(i, 1);
  }

  remove(i: number): void {
    this.apply(i, -1);
  }

  private apply(i: number, sign: 1 | -1): void {
    const p = this.p;
    const h = p.hist;
    if ((this.selected[i] === 1) === (sign === 1)) {
      throw new Error(`image ${i} is ${sign === 1 ? 'already' : 'not'} selected`);
    }
    this.selected[i] = sign === 1 ? 1 : 0;
    this.size += sign;
    this.jsEpoch++;
    for (let q = h.binOffsets[i]!, end = h.binOffsets[i + 1]!; q < end; q++) {
      const k = h.binKey[q]!;
      const before = this.v[k]!;
      this.v[k] = before + sign * h.binCount[q]!;
      if (p.js) this.jsSum[p.tierOfKey[k]!] += jsKeyChange(p, k, before, this.v[k]!);
    }
    const mask = h.imageTierMask[i]!;
    const counted = p.countMask[i]!;
    for (let t = 0; t < 3; t++) {
      if (counted & (1 << t)) this.n[t] += sign;
      if (mask & (1 << t)) this.refreshTier(t);
    }
    for (let q = p.rareOffsets[i]!, end = p.rareOffsets[i + 1]!; q < end; q++) {
      const c = p.rareCategories[q]!;
      if (sign === 1) {
        if (++this.presence[c]! > p.quota[c]!) this.capOver++;
      } else {
        if (this.presence[c]!-- > p.quota[c]!) this.capOver--;
      }
    }
    const b = p.density.binOf[i]!;
    if (b >= 0) {
      // (h ± 1)² − h² = ±2h + 1; recomputed exactly from the bins (few) so that it never drifts.
      this.densityH[b] += sign;
      let s2 = 0;
      const inv = p.density.invShare;
      for (let k = 0; k < this.densityH.length; k++) s2 += this.densityH[k]! * this.densityH[k]! * inv[k]!;
      this.densityS2 = s2;
    }
    this.annotations += sign * p.density.count[i]!;
    if (sign === 1) this.band?.add(p.density.count[i]!);
    else this.band?.remove(p.density.count[i]!);
  }

  /**
   * Exact recomputation of a tier's R1, R2 and mismatch from v (O(K_t) per committed image;
   * the original tool's variance in two passes, so that it never drifts).
   */
  private refreshTier(t: number): void {
    const p = this.p;
    const h = p.hist;
    const k0 = h.tierKeyStart[t]!;
    const k1 = h.tierKeyStart[t + 1]!;
    const K = k1 - k0;
    if (K === 0) return;
    if (p.js) {
      this.term[t] = jsTerm(p, this.jsSum[t]!);
      return;
    }
    const { lin, quad } = p;
    const v = this.v;
    let sum = 0;
    let sum2 = 0;
    for (let k = k0; k < k1; k++) {
      sum += v[k]! * lin[k]!;
      sum2 += v[k]! * v[k]! * quad[k]!;
    }
    this.r1[t] = sum;
    this.r2[t] = sum2;
    if (p.chi2) {
      this.term[t] = sum > 0 ? (p.tierRef[t]! * sum2) / (sum * sum) - 1 : 1;
      return;
    }
    const m = sum / K;
    let sq = 0;
    for (let k = k0; k < k1; k++) {
      const dd = v[k]! * lin[k]! - m;
      sq += dd * dd;
    }
    this.term[t] = sq / K;
  }

  /**
   * J(S − {j} + {i}) − J(S), exactly, from the two images' own entries (j selected, i not).
   */
  swapDelta(j: number, i: number): number {
    const p = this.p;
    const w = p.weights;
    let delta = p.js ? jsSwapMismatchDelta(this, j, i) : swapMismatchDelta(this, j, i);
    const maskJ = p.countMask[j]!;
    const maskI = p.countMask[i]!;
    if (maskJ !== maskI) {
      const nn = this.nn;
      for (let t = 0; t < 3; t++) nn[t] = this.n[t]! - ((maskJ >> t) & 1) + ((maskI >> t) & 1);
      delta += w.lambdaTier * (tierMixPenalty(nn, w.target, this.size) - this.tierTerm());
    }

    // Rare cap: remove j's classes, then add i's (a class in both stays where it was).
    let capDelta = 0;
    const { rareOffsets, rareCategories, quota } = p;
    let ra = rareOffsets[j]!;
    const raEnd = rareOffsets[j + 1]!;
    let rb = rareOffsets[i]!;
    const rbEnd = rareOffsets[i + 1]!;
    while (ra < raEnd || rb < rbEnd) {
      const ca = ra < raEnd ? rareCategories[ra]! : 0x7fffffff;
      const cb = rb < rbEnd ? rareCategories[rb]! : 0x7fffffff;
      if (ca === cb) {
        ra++;
        rb++;
      } else if (ca < cb) {
        if (this.presence[ca]! > quota[ca]!) capDelta--;
        ra++;
      } else {
        if (this.presence[cb]! >= quota[cb]!) capDelta++;
        rb++;
      }
    }
    delta += w.lambdaCap * capDelta;

    if (p.lambdaDensity !== 0) {
      const d = p.density;
      const bj = d.binOf[j]!;
      const bi = d.binOf[i]!;
      const da = d.count[i]! - d.count[j]!;
      if (bj !== bi || da !== 0) delta += p.lambdaDensity * (this.densityWith(bi, bj, da) - this.densityTerm());
    }
    return delta;
  }

}
