/**
 * The Jensen–Shannon divergence (base 2) of two count vectors, and its exact split into a
 * between-group part and per-group parts: the quality report's fidelity measure (quality.ts).
 */

/** Jensen–Shannon divergence, base 2, of two non-negative count vectors (each normalised). */
export function jsDivergence(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < a.length; k++) {
    sa += a[k]!;
    sb += b[k]!;
  }
  if (sa === 0 || sb === 0) return sa === sb ? 0 : 1;
  let js = 0;
  for (let k = 0; k < a.length; k++) {
    const p = a[k]! / sa;
    const q = b[k]! / sb;
    const m = (p + q) / 2;
    if (p > 0) js += 0.5 * p * Math.log2(p / m);
    if (q > 0) js += 0.5 * q * Math.log2(q / m);
  }
  return Math.min(1, Math.max(0, js));
}

/** `jsDivergence(a, b)` split exactly into a between-group and per-group within parts. */
export interface JsDecomposition {
  /** JS of the groups' total shares. */
  between: number;
  /** Per group: its part of the rest (≥ 0); between + Σ within = the total. */
  within: number[];
  total: number;
}

/**
 * The exact split of the Jensen–Shannon divergence (base 2) of two count vectors over keys
 * that fall into groups (here: tiers). With p, q the normalised vectors, m = (p + q)/2 and
 * P_g, Q_g, M_g their group totals, the chain rule of KL applied to KL(p‖m) and KL(q‖m) gives
 *
 *   JS(p, q) = JS(P, Q) + Σ_g [ ½ P_g KL(p_g ‖ m_g) + ½ Q_g KL(q_g ‖ m_g) ]
 *
 * (p_g, q_g, m_g: the vectors restricted to group g and renormalised). Each group's part is
 * computed as Σ_{k∈g} of the JS summands minus the group-level summand, which is the same
 * quantity without the renormalisations. Unlike `jsDivergence` there is no clamping; the parts
 * are ≥ 0 up to rounding and are clamped at 0. Both vectors empty: all 0; one empty: between 1.
 */
export function jsDecomposition(a: ArrayLike<number>, b: ArrayLike<number>, group: ArrayLike<number>, groups: number): JsDecomposition {
  let sa = 0;
  let sb = 0;
  for (let k = 0; k < a.length; k++) {
    sa += a[k]!;
    sb += b[k]!;
  }
  const within = new Array<number>(groups).fill(0);
  if (sa === 0 || sb === 0) {
    const between = sa === sb ? 0 : 1;
    return { between, within, total: between };
  }
  const term = (p: number, q: number) => {
    const m = (p + q) / 2;
    return (p > 0 ? 0.5 * p * Math.log2(p / m) : 0) + (q > 0 ? 0.5 * q * Math.log2(q / m) : 0);
  };
  const ga = new Float64Array(groups);
  const gb = new Float64Array(groups);
  const keySum = new Float64Array(groups);
  let total = 0;
  for (let k = 0; k < a.length; k++) {
    const p = a[k]! / sa;
    const q = b[k]! / sb;
    const g = group[k]!;
    ga[g]! += p;
    gb[g]! += q;
    const t = term(p, q);
    keySum[g]! += t;
    total += t;
  }
  let between = 0;
  for (let g = 0; g < groups; g++) {
    const t = term(ga[g]!, gb[g]!);
    between += t;
    within[g] = Math.max(0, keySum[g]! - t);
  }
  return { between: Math.max(0, between), within, total: Math.max(0, total) };
}
