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
import { jsDecomposition, jsDivergence } from './js-divergence.js';
import { chi2Divergence, countedTiers, mismatchDense, rareCapPenalty, scoreClassSize, tierMixPenalty, type Mismatch, type TierMembership } from './objective-terms.js';
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
  /** Images containing the class in the full set. */
  images: number[];
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

export { jsDecomposition, jsDivergence, type JsDecomposition } from './js-divergence.js';

/** What the quality report counts once from the dataset and the selection. */
interface Counts {
  /** Bucketed annotations per (category, size): category · 3 + size. */
  full: Float64Array;
  sub: Float64Array;
  /** Images containing each category, full set and subset. */
  catImagesFull: Int32Array;
  catImagesSub: Int32Array;
  /** Selected images counted for each tier (by `membership`). */
  tierImages: number[];
  annotationsKept: number;
  /** Images with at least one annotation in the full set (the `js` mismatch's I). */
  imagesWithAnnotations: number;
}

function countFull(ds: Dataset, buckets: Int8Array): Pick<Counts, 'full' | 'catImagesFull' | 'imagesWithAnnotations'> {
  const nCat = ds.categories.count;
  const { annOffsets, annIndex } = ds.images;
  const full = new Float64Array(nCat * 3);
  const catImagesFull = new Int32Array(nCat);
  const last = new Int32Array(nCat).fill(-1);
  let imagesWithAnnotations = 0;
  for (let i = 0; i < ds.images.count; i++) {
    if (annOffsets[i + 1]! > annOffsets[i]!) imagesWithAnnotations++;
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const a = annIndex[q]!;
      const c = ds.annotations.category[a]!;
      if (last[c] !== i) {
        last[c] = i;
        catImagesFull[c]!++;
      }
      if (buckets[a]! !== NO_BUCKET) full[c * 3 + buckets[a]!]!++;
    }
  }
  return { full, catImagesFull, imagesWithAnnotations };
}

function countSubset(x: QualityInputs, buckets: Int8Array): Pick<Counts, 'sub' | 'catImagesSub' | 'tierImages' | 'annotationsKept'> {
  const { ds } = x;
  const nCat = ds.categories.count;
  const { annOffsets, annIndex } = ds.images;
  const sub = new Float64Array(nCat * 3);
  const catImagesSub = new Int32Array(nCat);
  const last = new Int32Array(nCat).fill(-1);
  const tierImages = [0, 0, 0];
  let annotationsKept = 0;
  for (let s = 0; s < x.selected.length; s++) {
    const i = x.selected[s]!;
    let mask = 0;
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const a = annIndex[q]!;
      const c = ds.annotations.category[a]!;
      annotationsKept++;
      if (last[c] !== i) {
        last[c] = i;
        catImagesSub[c]!++;
      }
      if (buckets[a]! === NO_BUCKET) continue;
      sub[c * 3 + buckets[a]!]!++;
      mask |= 1 << ds.categories.tier[c]!;
    }
    const counted = countedTiers(mask, x.membership);
    for (let t = 0; t < 3; t++) if (counted & (1 << t)) tierImages[t]!++;
  }
  return { sub, catImagesSub, tierImages, annotationsKept };
}

function countAll(x: QualityInputs): Counts {
  const { buckets } = bucketAnnotations(x.ds.annotations, x.rule);
  return { ...countFull(x.ds, buckets), ...countSubset(x, buckets) };
}

/** Per tier: its keys' counts (full set, subset), in key order (tier, category index, size). */
interface KeyTable {
  keys: KeyDetails;
  tiers: TierDetail[];
  /** Per tier: its keys' subset and full counts. */
  byTier: { v: number[]; ref: number[] }[];
}

function keyTable(x: QualityInputs, n: Counts): KeyTable {
  const { ds } = x;
  const keys: KeyDetails = {
    categoryId: [], categoryName: [], tier: [], size: [], fullCount: [], subsetCount: [], fullShare: [], subsetShare: [],
  };
  const fullTotal = n.full.reduce((a, b) => a + b, 0);
  const subTotal = n.sub.reduce((a, b) => a + b, 0);
  const tiers: TierDetail[] = [];
  const byTier: KeyTable['byTier'] = [];
  for (let t = 0; t < 3; t++) {
    const v: number[] = [];
    const ref: number[] = [];
    const fullSizes = [0, 0, 0];
    const subSizes = [0, 0, 0];
    let covered = 0;
    let coverable = 0;
    for (let c = 0; c < ds.categories.count; c++) {
      if (ds.categories.tier[c] !== t) continue;
      if (n.catImagesFull[c]! > 0) coverable++;
      if (n.catImagesSub[c]! > 0) covered++;
      for (let s = 0; s < 3; s++) {
        const f = n.full[c * 3 + s]!;
        if (f === 0) continue;
        const u = n.sub[c * 3 + s]!;
        v.push(u);
        ref.push(f);
        fullSizes[s] += f;
        subSizes[s] += u;
        pushKey(keys, ds, c, t, s, f, u, fullTotal, subTotal);
      }
    }
    byTier.push({ v, ref });
    const fs = fullSizes[0]! + fullSizes[1]! + fullSizes[2]!;
    const ss = subSizes[0]! + subSizes[1]! + subSizes[2]!;
    tiers.push({
      tier: TIERS[t]!, target: x.target[t]!, share: x.selected.length > 0 ? n.tierImages[t]! / x.selected.length : 0,
      images: n.tierImages[t]!, budget: x.budgets[t]!, covered, coverable,
      fullSizeShares: fullSizes.map((k) => (fs > 0 ? k / fs : 0)),
      subsetSizeShares: subSizes.map((k) => (ss > 0 ? k / ss : 0)),
    });
  }
  return { keys, tiers, byTier };
}

function pushKey(keys: KeyDetails, ds: Dataset, c: number, t: number, s: number, f: number, u: number, fullTotal: number, subTotal: number): void {
  keys.categoryId.push(ds.categories.id[c]!);
  keys.categoryName.push(ds.categories.name[c]!);
  keys.tier.push(TIERS[t]!);
  keys.size.push(SIZE_NAMES[s]!);
  keys.fullCount.push(f);
  keys.subsetCount.push(u);
  keys.fullShare.push(f / fullTotal);
  keys.subsetShare.push(subTotal > 0 ? u / subTotal : 0);
}

function sizeMetrics(x: QualityInputs, n: Counts): SampleQuality {
  let kept = 0;
  for (let c = 0; c < x.ds.categories.count; c++) if (n.catImagesSub[c]! > 0) kept++;
  return {
    images: x.selected.length,
    images_requested: x.requested,
    annotations_kept: n.annotationsKept,
    annotations_kept_share: x.ds.annotations.count > 0 ? n.annotationsKept / x.ds.annotations.count : 0,
    categories_kept: kept,
  };
}

/**
 * The share MSE: the mean over the full set's (category, size) keys of (subset share − full
 * share)², each share a key's annotations over all bucketed annotations (0 for an empty subset).
 */
export function shareMse(keys: Pick<KeyDetails, 'fullShare' | 'subsetShare'>): number {
  const K = keys.fullShare.length;
  let s = 0;
  for (let k = 0; k < K; k++) s += (keys.subsetShare[k]! - keys.fullShare[k]!) ** 2;
  return K > 0 ? s / K : 0;
}

/** JS (and its split), the share MSE, and the class×size scores per tier (score_classsize, χ²). */
function fidelityMetrics(x: QualityInputs, n: Counts, table: KeyTable): SampleQuality {
  const m: SampleQuality = { js_divergence: jsDivergence(n.full, n.sub) };
  const tierOfCat = x.ds.categories.tier;
  const keyTier = new Uint8Array(n.full.length);
  for (let c = 0; c < x.ds.categories.count; c++) keyTier.fill(tierOfCat[c]!, c * 3, c * 3 + 3);
  const split = jsDecomposition(n.full, n.sub, keyTier, 3);
  m.js_between_tiers = split.between;
  for (let t = 0; t < 3; t++) m[`js_within_${TIERS[t]}`] = split.within[t]!;
  m.share_mse = shareMse(table.keys);
  const mse = table.byTier.map((b) => scoreClassSize(b.v, b.ref));
  m.mse = mse.reduce((s, v, t) => s + x.tierWeights[t]! * v, 0);
  for (let t = 0; t < 3; t++) m[`mse_${TIERS[t]}`] = mse[t]!;
  const tierSub = table.byTier.map((b) => b.v.reduce((a, c) => a + c, 0));
  const tierFull = table.byTier.map((b) => b.ref.reduce((a, c) => a + c, 0));
  m.chi2_share = chi2Divergence(tierSub, tierFull);
  const chi2 = table.byTier.map((b) => chi2Divergence(b.v, b.ref));
  m.chi2 = (x.lambdaShare ?? 0) * m.chi2_share + chi2.reduce((s, v, t) => s + x.tierWeights[t]! * v, 0);
  for (let t = 0; t < 3; t++) m[`chi2_${TIERS[t]}`] = chi2[t]!;
  return m;
}

function tierMixMetrics(x: QualityInputs, n: Counts, tiers: TierDetail[]): SampleQuality {
  const m: SampleQuality = { tier_mix_error: tierMixPenalty(n.tierImages, x.target, x.selected.length) };
  for (const d of tiers) {
    m[`tier_share_${d.tier}`] = d.share;
    m[`tier_target_${d.tier}`] = d.target;
    m[`tier_images_${d.tier}`] = d.images;
    m[`tier_budget_${d.tier}`] = d.budget;
  }
  return m;
}

function coverageMetrics(tiers: TierDetail[]): SampleQuality {
  const m: SampleQuality = {};
  let covered = 0;
  let coverable = 0;
  for (const d of tiers) {
    covered += d.covered;
    coverable += d.coverable;
    m[`covered_${d.tier}`] = d.covered;
    m[`coverable_${d.tier}`] = d.coverable;
    m[`coverage_${d.tier}`] = d.coverable > 0 ? d.covered / d.coverable : 1;
  }
  m.coverage = coverable > 0 ? covered / coverable : 1;
  return m;
}

function rareQuotaUsage(x: QualityInputs, n: Counts): { usage: RareQuotaUsage; metrics: SampleQuality } {
  const usage: RareQuotaUsage = { categoryId: [], categoryName: [], quota: [], used: [], images: [] };
  let violations = 0;
  for (let c = 0; c < x.ds.categories.count; c++) {
    const q = x.quota[c]!;
    if (q < 0) continue;
    usage.categoryId.push(x.ds.categories.id[c]!);
    usage.categoryName.push(x.ds.categories.name[c]!);
    usage.quota.push(q);
    usage.used.push(n.catImagesSub[c]!);
    usage.images.push(n.catImagesFull[c]!);
    if (n.catImagesSub[c]! > q) violations++;
  }
  return { usage, metrics: { rare_cap_violations: violations, rare_cap_overage: rareCapPenalty(n.catImagesSub, x.quota) } };
}

function sizeShareMetrics(tiers: TierDetail[]): SampleQuality {
  const m: SampleQuality = {};
  for (const d of tiers) {
    for (let s = 0; s < 3; s++) {
      m[`size_share_${d.tier}_${SIZE_NAMES[s]}`] = d.subsetSizeShares[s]!;
      m[`full_size_share_${d.tier}_${SIZE_NAMES[s]}`] = d.fullSizeShares[s]!;
    }
  }
  return m;
}

/** J of the sample under the chosen `mismatch` (its `js` targets at the sample's own size). */
function objectiveOf(x: QualityInputs, m: SampleQuality, n: Counts, table: KeyTable, densityPenalty: number): number {
  let mismatch: number;
  if (x.mismatch === 'js') {
    const refTotal = n.full.reduce((a, b) => a + b, 0);
    const at = { rate: x.selected.length / Math.max(1, n.imagesWithAnnotations), refTotal };
    mismatch = table.byTier.reduce((s, b, t) => s + x.tierWeights[t]! * mismatchDense('js', b.v, b.ref, at), 0);
  } else if (x.mismatch === 'chi2') mismatch = m.chi2! + (x.lambdaDensity ?? 0) * densityPenalty;
  else mismatch = m.mse!;
  return mismatch + x.lambdaTier * m.tier_mix_error! + x.lambdaCap * m.rare_cap_overage!;
}

export function computeQuality(x: QualityInputs): QualityReport {
  const n = countAll(x);
  const table = keyTable(x, n);
  const rare = rareQuotaUsage(x, n);
  const density = densityMetrics(x.ds, x.selected);
  const metrics: SampleQuality = {
    ...sizeMetrics(x, n),
    ...fidelityMetrics(x, n, table),
    ...tierMixMetrics(x, n, table.tiers),
    ...coverageMetrics(table.tiers),
    ...rare.metrics,
    ...sizeShareMetrics(table.tiers),
    ...density.metrics,
  };
  metrics.objective = objectiveOf(x, metrics, n, table, density.penalty);
  return { metrics, tiers: table.tiers, keys: table.keys, rareQuotas: rare.usage };
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
      `+ within f ${m.js_within_f!.toFixed(5)}, c ${m.js_within_c!.toFixed(5)}, r ${m.js_within_r!.toFixed(5)}; ` +
      `share MSE ${m.share_mse!.toExponential(3)}`,
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

