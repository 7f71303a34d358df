/**
 * The objective's terms, each computed densely from counts: the class×size mismatch (the
 * Jensen–Shannon divergence at the sampling rate, Pearson χ² or the original tool's
 * score_classsize), the tier-mix penalty and the rare-cap penalty. The incremental scorer
 * (objective.ts, objective-js.ts) must agree with these to rounding; the tests check it.
 */


/** The class×size mismatch term (see objective.ts): JS at the sampling rate, Pearson χ², or the original tool's score_classsize. */
export type Mismatch = 'js' | 'chi2' | 'seed';

/**
 * κ of the `js` mismatch, κ · Σ_k w_k φ(v_k, τ_k) / Σ_k τ_k (objective-js.ts). For small
 * deviations φ(τ + d, τ) ≈ d²/(4τ), so the term is about 4 × the χ² of the subset's key shares:
 * class×size fidelity then outweighs the tier-mix target (λ_tier = 3) about as `chi2`'s
 * λ_share = 40 does. Measured on full-scale data (bench/sampler-density.ts): JS within 3% for
 * κ from 16 to 64, and 15% worse at 4 (the tier-mix target then pulls harder).
 */
export const JS_SCALE = 16;

/** z ln z (0 at 0). */
export function xlogx(z: number): number {
  return z > 0 ? z * Math.log(z) : 0;
}

/**
 * φ(v, τ) = v ln(2v / (v + τ)) + τ ln(2τ / (v + τ)) (natural log): a key's Jensen–Shannon
 * summand for counts v (subset) and τ (target), times 2 and before normalisation. 0 when v = τ;
 * τ ln 2 for v = 0; ≈ v ln 2 for v ≫ τ (JS saturates, where χ² would grow as v²/τ).
 */
export function jsPhi(v: number, tau: number): number {
  return xlogx(v) + xlogx(tau) - xlogx(v + tau) + (v + tau) * Math.LN2;
}

/**
 * The `js` mismatch over some keys (dense reference): κ · Σ_k φ(v_k, rate · ref_k) / (rate ·
 * refTotal), where rate = subset images / images with annotations (τ_k = rate · ref_k is what a
 * uniform sample of that many images holds on average) and refTotal is Σ ref over every key of
 * every tier (so that the tiers' terms add up to the whole).
 */
export function jsMismatch(v: ArrayLike<number>, ref: ArrayLike<number>, rate: number, refTotal: number): number {
  if (!(rate > 0) || !(refTotal > 0)) return 0;
  let s = 0;
  for (let k = 0; k < v.length; k++) s += jsPhi(v[k]!, rate * ref[k]!);
  return (JS_SCALE * s) / (rate * refTotal);
}

/**
 * Pearson χ² divergence of the shares of `v` from the shares of `ref` over the same keys:
 * Σ_k (p_k − q_k)² / q_k (keys with ref_k = 0 are skipped; `ref` is expected to be positive).
 * 1 when v is all zero (the value for p = 0), 0 when there are no keys. Dense reference.
 */
export function chi2Divergence(v: ArrayLike<number>, ref: ArrayLike<number>): number {
  const K = v.length;
  if (K === 0) return 0;
  let V = 0;
  let R = 0;
  for (let k = 0; k < K; k++) {
    V += v[k]!;
    R += ref[k]!;
  }
  if (R <= 0) return 0;
  if (V <= 0) return 1;
  let s = 0;
  for (let k = 0; k < K; k++) {
    const r = ref[k]!;
    if (r <= 0) continue;
    const d = v[k]! / V - r / R;
    s += (d * d) / (r / R);
  }
  return s;
}

/**
 * χ² of the tier annotation shares: Σ_t (V_t/ΣV)² / Q_t − 1 with `invShare[t]` = 1/Q_t
 * (tiers with Q_t = 0 have V_t = 0 and are skipped); 1 when ΣV = 0.
 */
export function shareChi2(v0: number, v1: number, v2: number, invShare: ArrayLike<number>): number {
  const V = v0 + v1 + v2;
  if (V <= 0) return 1;
  return (v0 * v0 * invShare[0]! + v1 * v1 * invShare[1]! + v2 * v2 * invShare[2]!) / (V * V) - 1;
}

/**
 * The per-tier mismatch of `mode` over two equal-length vectors (dense reference). `js` also
 * needs the sampling rate and Σ ref over all tiers' keys (see jsMismatch).
 */
export function mismatchDense(
  mode: Mismatch,
  v: ArrayLike<number>,
  ref: ArrayLike<number>,
  js: { rate: number; refTotal: number } = { rate: 1, refTotal: 1 },
): number {
  if (mode === 'js') return jsMismatch(v, ref, js.rate, js.refTotal);
  return mode === 'chi2' ? chi2Divergence(v, ref) : scoreClassSize(v, ref);
}

/** The original tool's score_classsize over two equal-length vectors. */
export function scoreClassSize(v: ArrayLike<number>, ref: ArrayLike<number>): number {
  const K = v.length;
  if (K === 0) return 0;
  let sum = 0;
  for (let k = 0; k < K; k++) sum += v[k]! / Math.max(ref[k]!, 1e-9);
  const m = sum / K;
  let sq = 0;
  for (let k = 0; k < K; k++) {
    const d = v[k]! / Math.max(ref[k]!, 1e-9) - m;
    sq += d * d;
  }
  return sq / K;
}

/** The original tool's tier_mix_penalty; `n` and `target` in the same tier order. */
export function tierMixPenalty(n: ArrayLike<number>, target: ArrayLike<number>, total: number): number {
  if (total <= 0) return 0;
  let s = 0;
  for (let t = 0; t < 3; t++) {
    const d = n[t]! / total - target[t]!;
    s += d * d;
  }
  return s / 3;
}

/** The original tool's rare_cap_penalty: Σ over categories with a quota (≥ 0) of max(0, presence − quota). */
export function rareCapPenalty(presence: ArrayLike<number>, quota: Int32Array): number {
  let over = 0;
  for (let c = 0; c < quota.length; c++) {
    const q = quota[c]!;
    if (q < 0) continue;
    const d = presence[c]! - q;
    if (d > 0) over += d;
  }
  return over;
}

/**
 * Which tiers an image counts for in the tier mix (n_t), the budgets and the bonuses:
 * - `each`: every tier it has a (bucketed) annotation of, as the published seed code counts
 *   (shares then sum to more than 1 while the target sums to 1);
 * - `rarest`: only the rarest tier it touches (r, else c, else f), a partition of the
 *   images, so that the shares, like the target and the budgets B_f + B_c + B_r = N, sum to 1.
 */
export type TierMembership = 'each' | 'rarest';

/** The tier bits an image with tier mask `touched` counts for. */
export function countedTiers(touched: number, membership: TierMembership): number {
  if (membership === 'each') return touched;
  if (touched & 4) return 4;
  if (touched & 2) return 2;
  return touched & 1;
}

export interface ObjectiveWeights {
  /** w_t per tier, TIERS order (the original tool's `--tier_bonus` weights of the class-size terms). */
  tierWeights: Float64Array;
  lambdaTier: number;
  lambdaCap: number;
  /**
   * chi2 only: weight λ_share of the between-tier term, the χ² of the subset's annotation
   * shares per tier (V_t / ΣV) against the full set's (R_t / ΣR). 0 or absent: none.
   */
  lambdaShare?: number;
  /**
   * Weight λ_density of the density term D(S) (density.ts): how far the subset's distribution
   * of annotations per image is from the full set's. 0 or absent: none.
   */
  lambdaDensity?: number;
  /**
   * The density band (density-band.ts): its width b and the subset's final size N; absent or
   * null: none. A constraint the searches rank candidates by before J, not a term of J.
   */
  band?: { width: number; finalSize: number } | null;
  /**
   * `js`: the subset's size when done, N: J's targets are τ_k = ref_k · N / (images with
   * annotations). Default: the images with annotations (the full set's counts).
   */
  finalSize?: number;
  /** Target image share per tier, TIERS order. */
  target: Float64Array;
}
