/**
 * Quality of a sample against the full set, computed from the selected images' annotations
 * directly (the dataset and the size rule), independently of the sampler's running sums.
 *
 * - Jensen–Shannon divergence between the full-set and the subset distributions over
 *   (category, size) keys (bucketed annotations, each distribution normalised to 1), with
 *   log base 2 so that it lies in [0, 1]: 0 for identical distributions, 1 for disjoint
 *   ones. An empty subset scores 1.
 * - Its exact split (`jsDecomposition`, the chain rule of KL applied to both halves of JS):
 *   `js_between_tiers`, the JS of the three tiers' annotation shares, plus `js_within_f/c/r`,
 *   each tier's part of the rest. The four add up to `js_divergence`. The between-tier part is
 *   where the tier-mix target and the rare cover move the subset away from the full set on
 *   purpose; the within-tier parts are how well each tier's own (category, size) shape is kept.
 * - Class×size mismatch: the original tool's score_classsize per tier (`mse_f` …) and their weighted
 *   sum Σ_t w_t · mse_t (`mse`); the Pearson χ² divergence of the within-tier key shares per
 *   tier (`chi2_f` …) and Σ_t w_t · χ²_t (`chi2`). The objective's first term is one of the
 *   two sums, by `mismatch`.
 * - Tier mix: the share of selected images touching each tier against the target, and the
 *   original tool's tier_mix_penalty (`tier_mix_error`).
 * - Coverage per tier: categories with at least one selected image, out of those with at
 *   least one image in the full set.
 * - Rare cap: rare classes whose selected images exceed their quota, and the total excess.
 * - Annotations kept; S/M/L shares per tier, subset and full set.
 * - Annotation density: annotations per image of the subset (`ann_per_image`, mean and
 *   median) and of the full set's images with annotations (`…_source`), their ratio, the
 *   Kolmogorov–Smirnov distance between the two distributions of annotations per image
 *   (`ann_per_image_ks`, on the exact counts) and the χ² of their binned histograms
 *   (`ann_per_image_chi2`, the density term's first part; density.ts).
 * - `objective`: J of the sample under the chosen `mismatch`, so that any strategy's result
 *   can be compared on it.
 */
import type { Dataset } from '../dataset/dataset.js';
import { chi2Divergence, countedTiers, rareCapPenalty, scoreClassSize, tierMixPenalty, type Mismatch, type TierMembership } from './objective-terms.js';
import { binsChi2, buildDensityModel, countHistogram, densityCounts, densityPenalty, histogramMedian, ksDistance } from './density.js';
import { bucketAnnotations, NO_BUCKET, SIZE_NAMES, type SizeRule } from './size-buckets.js';
import { TIERS } from './tiers.js';


/** A flat record of numbers (the runner copies it into the run history). */
export type SampleQuality = Record<string, number>;

export interface TierDetail {
  tier: string;
  target: number;
  share: number;
  images: number;
  budget: number;
  covered: number;
  coverable: number;
  /** S, M, L shares of the tier's bucketed annotations. */
  fullSizeShares: number[];
  subsetSizeShares: number[];
}

export interface KeyDetails {
  categoryId: number[];
  categoryName: string[];
  tier: string[];
  size: string[];
  fullCount: number[];
  subsetCount: number[];
  fullShare: number[];
  subsetShare: number[];
}

export interface RareQuotaUsage {
  categoryId: number[];
  categoryName: string[];
  quota: number[];
  used: number[];
}

export interface QualityReport {
  metrics: SampleQuality;
  tiers: TierDetail[];
  keys: KeyDetails;
  rareQuotas: RareQuotaUsage;
}

export interface QualityInputs {
  ds: Dataset;
  rule: SizeRule;
  selected: ArrayLike<number>;
  requested: number;
  /** TIERS order. */
  target: ArrayLike<number>;
  budgets: ArrayLike<number>;
  tierWeights: ArrayLike<number>;
  lambdaTier: number;
  lambdaCap: number;
  /** Per category index, −1 = no quota. */
  quota: Int32Array;
  membership: TierMembership;
  /** Which sum the `objective` metric uses (default `seed`). */
  mismatch?: Mismatch;
  /** Weight of the between-tier share χ² in `chi2` (default 0). */
  lambdaShare?: number;
  /** Weight of the density term in `chi2` (default 0). */
  lambdaDensity?: number;
}

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

export function computeQuality(x: QualityInputs): QualityReport {
  const { ds, rule } = x;
  const nCat = ds.categories.count;
  const tierOfCat = ds.categories.tier;
  const annCategory = ds.annotations.category;
  const { annOffsets, annIndex } = ds.images;
  const { buckets } = bucketAnnotations(ds.annotations, rule);

  const full = new Float64Array(nCat * 3);
  const sub = new Float64Array(nCat * 3);
  const catImagesFull = new Int32Array(nCat);
  const catImagesSub = new Int32Array(nCat);
  const last = new Int32Array(nCat).fill(-1);
  for (let i = 0; i < ds.images.count; i++) {
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const a = annIndex[q]!;
      const c = annCategory[a]!;
      if (last[c] !== i) {
        last[c] = i;
        catImagesFull[c]!++;
      }
      const b = buckets[a]!;
      if (b !== NO_BUCKET) full[c * 3 + b]!++;
    }
  }

  const tierImages = [0, 0, 0];
  let annotationsKept = 0;
  last.fill(-1);
  for (let s = 0; s < x.selected.length; s++) {
    const i = x.selected[s]!;
    let mask = 0;
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const a = annIndex[q]!;
      const c = annCategory[a]!;
      annotationsKept++;
      if (last[c] !== i) {
        last[c] = i;
        catImagesSub[c]!++;
      }
      const b = buckets[a]!;
      if (b === NO_BUCKET) continue;
      sub[c * 3 + b]!++;
      mask |= 1 << tierOfCat[c]!;
    }
    const counted = countedTiers(mask, x.membership);
    for (let t = 0; t < 3; t++) if (counted & (1 << t)) tierImages[t]!++;
  }

  const metrics: SampleQuality = {};
  const size = x.selected.length;
  metrics.images = size;
  metrics.images_requested = x.requested;
  metrics.annotations_kept = annotationsKept;
  metrics.annotations_kept_share = ds.annotations.count > 0 ? annotationsKept / ds.annotations.count : 0;
  let kept = 0;
  for (let c = 0; c < nCat; c++) if (catImagesSub[c]! > 0) kept++;
  metrics.categories_kept = kept;

  // Keys: cells with a full-set annotation, ordered by (tier, category index, size).
  const keys: KeyDetails = {
    categoryId: [], categoryName: [], tier: [], size: [], fullCount: [], subsetCount: [], fullShare: [], subsetShare: [],
  };
  let fullTotal = 0;
  let subTotal = 0;
  for (let k = 0; k < full.length; k++) {
    fullTotal += full[k]!;
    subTotal += sub[k]!;
  }
  const mseByTier = [0, 0, 0];
  const chi2ByTier = [0, 0, 0];
  const tiers: TierDetail[] = [];
  for (let t = 0; t < 3; t++) {
    const vt: number[] = [];
    const rt: number[] = [];
    const fullSizes = [0, 0, 0];
    const subSizes = [0, 0, 0];
    let covered = 0;
    let coverable = 0;
    for (let c = 0; c < nCat; c++) {
      if (tierOfCat[c] !== t) continue;
      if (catImagesFull[c]! > 0) coverable++;
      if (catImagesSub[c]! > 0) covered++;
      for (let s = 0; s < 3; s++) {
        const f = full[c * 3 + s]!;
        if (f === 0) continue;
        const u = sub[c * 3 + s]!;
        vt.push(u);
        rt.push(f);
        fullSizes[s] += f;
        subSizes[s] += u;
        keys.categoryId.push(ds.categories.id[c]!);
        keys.categoryName.push(ds.categories.name[c]!);
        keys.tier.push(TIERS[t]!);
        keys.size.push(SIZE_NAMES[s]!);
        keys.fullCount.push(f);
        keys.subsetCount.push(u);
        keys.fullShare.push(f / fullTotal);
        keys.subsetShare.push(subTotal > 0 ? u / subTotal : 0);
      }
    }
    mseByTier[t] = scoreClassSize(vt, rt);
    chi2ByTier[t] = chi2Divergence(vt, rt);
    const fs = fullSizes[0]! + fullSizes[1]! + fullSizes[2]!;
    const ss = subSizes[0]! + subSizes[1]! + subSizes[2]!;
    tiers.push({
      tier: TIERS[t]!,
      target: x.target[t]!,
      share: size > 0 ? tierImages[t]! / size : 0,
      images: tierImages[t]!,
      budget: x.budgets[t]!,
      covered,
      coverable,
      fullSizeShares: fullSizes.map((n) => (fs > 0 ? n / fs : 0)),
      subsetSizeShares: subSizes.map((n) => (ss > 0 ? n / ss : 0)),
    });
  }

  metrics.js_divergence = jsDivergence(full, sub);
  const keyTier = new Uint8Array(full.length);
  for (let c = 0; c < nCat; c++) keyTier.fill(tierOfCat[c]!, c * 3, c * 3 + 3);
  const split = jsDecomposition(full, sub, keyTier, 3);
  metrics.js_between_tiers = split.between;
  for (let t = 0; t < 3; t++) metrics[`js_within_${TIERS[t]}`] = split.within[t]!;
  let mse = 0;
  for (let t = 0; t < 3; t++) mse += x.tierWeights[t]! * mseByTier[t]!;
  metrics.mse = mse;
  for (let t = 0; t < 3; t++) metrics[`mse_${TIERS[t]}`] = mseByTier[t]!;
  // Between tiers: χ² of the tiers' annotation shares (subset vs full).
  const tierSub = [0, 0, 0];
  const tierFull = [0, 0, 0];
  for (let c = 0; c < nCat; c++) {
    for (let s = 0; s < 3; s++) {
      tierSub[tierOfCat[c]!] += sub[c * 3 + s]!;
      tierFull[tierOfCat[c]!] += full[c * 3 + s]!;
    }
  }
  const chi2Share = chi2Divergence(tierSub, tierFull);
  metrics.chi2_share = chi2Share;
  let chi2 = (x.lambdaShare ?? 0) * chi2Share;
  for (let t = 0; t < 3; t++) chi2 += x.tierWeights[t]! * chi2ByTier[t]!;
  metrics.chi2 = chi2;
  for (let t = 0; t < 3; t++) metrics[`chi2_${TIERS[t]}`] = chi2ByTier[t]!;

  const tierMixError = tierMixPenalty(tierImages, x.target, size);
  metrics.tier_mix_error = tierMixError;
  for (const d of tiers) {
    metrics[`tier_share_${d.tier}`] = d.share;
    metrics[`tier_target_${d.tier}`] = d.target;
    metrics[`tier_images_${d.tier}`] = d.images;
    metrics[`tier_budget_${d.tier}`] = d.budget;
  }

  let coveredAll = 0;
  let coverableAll = 0;
  for (const d of tiers) {
    coveredAll += d.covered;
    coverableAll += d.coverable;
    metrics[`covered_${d.tier}`] = d.covered;
    metrics[`coverable_${d.tier}`] = d.coverable;
    metrics[`coverage_${d.tier}`] = d.coverable > 0 ? d.covered / d.coverable : 1;
  }
  metrics.coverage = coverableAll > 0 ? coveredAll / coverableAll : 1;

  const rareQuotas: RareQuotaUsage = { categoryId: [], categoryName: [], quota: [], used: [] };
  let violations = 0;
  for (let c = 0; c < nCat; c++) {
    const q = x.quota[c]!;
    if (q < 0) continue;
    rareQuotas.categoryId.push(ds.categories.id[c]!);
    rareQuotas.categoryName.push(ds.categories.name[c]!);
    rareQuotas.quota.push(q);
    rareQuotas.used.push(catImagesSub[c]!);
    if (catImagesSub[c]! > q) violations++;
  }
  const overage = rareCapPenalty(catImagesSub, x.quota);
  metrics.rare_cap_violations = violations;
  metrics.rare_cap_overage = overage;

  for (const d of tiers) {
    for (let s = 0; s < 3; s++) {
      metrics[`size_share_${d.tier}_${SIZE_NAMES[s]}`] = d.subsetSizeShares[s]!;
      metrics[`full_size_share_${d.tier}_${SIZE_NAMES[s]}`] = d.fullSizeShares[s]!;
    }
  }
  const density = densityMetrics(ds, x.selected);
  Object.assign(metrics, density.metrics);
  metrics.objective =
    (x.mismatch === 'chi2' ? chi2 + (x.lambdaDensity ?? 0) * density.penalty : mse) +
    x.lambdaTier * tierMixError + x.lambdaCap * overage;
  return { metrics, tiers, keys, rareQuotas };
}

/** Annotations per image, subset against the full set (see the header), and the density term D. */
function densityMetrics(ds: Dataset, selected: ArrayLike<number>): { metrics: SampleQuality; penalty: number } {
  const model = buildDensityModel(ds);
  const { h, annotations } = densityCounts(model, selected);
  const n = selected.length;
  const sub = countHistogram(model.count, selected);
  const full = countHistogram(model.count, null);
  const mean = n > 0 ? annotations / n : 0;
  return {
    metrics: {
      ann_per_image: mean,
      ann_per_image_source: model.mean,
      ann_per_image_ratio: model.mean > 0 ? mean / model.mean : 0,
      ann_per_image_median: histogramMedian(sub),
      ann_per_image_median_source: histogramMedian(full),
      ann_per_image_ks: ksDistance(sub, full),
      ann_per_image_chi2: binsChi2(model, h, n),
    },
    penalty: densityPenalty(model, h, n, annotations),
  };
}

export function formatQuality(r: QualityReport): string {
  const m = r.metrics;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = [
    `images ${m.images} of ${m.images_requested} requested; annotations kept ${m.annotations_kept} ` +
      `(${pct(m.annotations_kept_share!)} of the full set); categories kept ${m.categories_kept}`,
    `JS divergence ${m.js_divergence!.toFixed(5)} bits = between tiers ${m.js_between_tiers!.toFixed(5)} ` +
      `+ within f ${m.js_within_f!.toFixed(5)}, c ${m.js_within_c!.toFixed(5)}, r ${m.js_within_r!.toFixed(5)}`,
    `class×size MSE ${m.mse!.toExponential(3)} ` +
      `(f ${m.mse_f!.toExponential(2)}, c ${m.mse_c!.toExponential(2)}, r ${m.mse_r!.toExponential(2)}); ` +
      `χ² ${m.chi2!.toExponential(3)} (f ${m.chi2_f!.toExponential(2)}, c ${m.chi2_c!.toExponential(2)}, r ${m.chi2_r!.toExponential(2)}); ` +
      `tier-mix error ${m.tier_mix_error!.toExponential(2)}; objective ${m.objective!.toExponential(4)}`,
    `annotations per image ${m.ann_per_image!.toFixed(2)} (full set ${m.ann_per_image_source!.toFixed(2)}, ` +
      `${m.ann_per_image_ratio!.toFixed(2)}×), median ${m.ann_per_image_median} (${m.ann_per_image_median_source}); ` +
      `KS distance ${m.ann_per_image_ks!.toFixed(3)}`,
    'tier  share/target     images/budget  covered/coverable  S/M/L subset (full)',
  ];
  for (const d of r.tiers) {
    const sml = (a: number[]) => a.map((v) => (100 * v).toFixed(0)).join('/');
    lines.push(
      `${d.tier}     ${pct(d.share).padStart(6)}/${pct(d.target).padEnd(7)}  ` +
        `${String(d.images).padStart(6)}/${String(d.budget).padEnd(6)}  ` +
        `${String(d.covered).padStart(8)}/${String(d.coverable).padEnd(8)}  ` +
        `${sml(d.subsetSizeShares)} (${sml(d.fullSizeShares)})`,
    );
  }
  lines.push(`rare cap: ${m.rare_cap_violations} classes over quota, ${m.rare_cap_overage} images over in total`);
  return lines.join('\n');
}

