/** What scoring needs from the data, precomputed once per sampler run (see objective.ts for how it is used). */
import type { Dataset } from '../dataset/dataset.js';
import { buildDensityModel, type DensityModel } from './density.js';
import type { Histograms } from './histograms.js';
import { countedTiers, type Mismatch, type ObjectiveWeights, type TierMembership } from './objective-terms.js';

/**
 * Everything about the data that scoring needs, precomputed once: inverse reference counts,
 * each image's distinct rare classes (from all its annotations, as the original tool's
 * `rare_classes_in_image`), quotas, and the candidates (images with annotations).
 */
export class SamplerProblem {
  readonly imageCount: number;
  readonly keyCount: number;
  readonly tierOfKey: Uint8Array;
  readonly tierK: Float64Array;
  /** Σ ref_k over each tier's keys (R of χ²). */
  readonly tierRef: Float64Array;
  /** Per key: the coefficients of D (lin) and of E, G (quad); see the header. */
  readonly lin: Float64Array;
  readonly quad: Float64Array;
  /** True for `mismatch: chi2`. */
  readonly chi2: boolean;
  /** `mismatch: js` (objective-js.ts): per key its tier's weight, n ln n for n = 0 … max ref, Σ ref, 1 / images with annotations, N. */
  readonly js: boolean;
  readonly keyWeight: Float64Array;
  readonly xlogxTable: Float64Array;
  readonly refTotal: number;
  readonly ratePerImage: number;
  readonly finalSize: number;
  /** chi2: λ_share and 1/Q_t (0 for a tier without keys). */
  readonly lambdaShare: number;
  readonly invShare: Float64Array;
  /** The full set's annotation density (bins, per-image counts) and λ_density (chi2 only; 0: no density term). */
  readonly density: DensityModel;
  readonly lambdaDensity: number;
  /** chi2 only: the density band's width and the subset's final size (null: none; density-band.ts). */
  readonly band: { width: number; finalSize: number } | null;
  /** Per image, distinct rare categories that have a quota: CSR, ascending. */
  readonly rareOffsets: Int32Array;
  readonly rareCategories: Int32Array;
  readonly quota: Int32Array;
  /** Images with at least one annotation, ascending: the only candidates. */
  readonly candidates: Int32Array;
  /** Per image: the tiers it counts for in n_t (see TierMembership). */
  readonly countMask: Uint8Array;
  /**
   * The hot path's layout (scoreIfAdd): per image one 32-byte row [bin start, bin end, rare
   * start, rare end, counted tiers, density bin, annotations, 0], and the bins as interleaved (key, count) pairs,
   * so that scoring a random candidate touches about two cache lines instead of five (the
   * candidates of a pool are random images, so these are cache misses; see BENCHMARKS.md).
   */
  readonly imageRows: Int32Array;
  readonly binPairs: Int32Array;
  /** Per image: its distinct categories, ascending (CSR; distinctCategories below). */
  readonly catOffsets: Int32Array;
  readonly cats: Int32Array;

  constructor(
    readonly ds: Dataset,
    readonly hist: Histograms,
    quota: Int32Array,
    readonly weights: ObjectiveWeights,
    readonly membership: TierMembership = 'each',
    readonly mismatch: Mismatch = 'seed',
  ) {
    this.chi2 = mismatch === 'chi2';
    this.js = mismatch === 'js';
    this.imageCount = hist.imageCount;
    this.countMask = new Uint8Array(hist.imageTierMask.length); // a plain loop: TypedArray.from with a map function is ~10x slower
    for (let i = 0; i < this.countMask.length; i++) this.countMask[i] = countedTiers(hist.imageTierMask[i]!, membership);
    this.binPairs = interleavedBins(hist);
    this.keyCount = hist.keyCategory.length;
    this.quota = quota;
    ({ tierOfKey: this.tierOfKey, tierK: this.tierK } = tierKeys(hist));
    ({ lin: this.lin, quad: this.quad, tierRef: this.tierRef } = keyCoefficients(hist, this.tierOfKey, this.chi2));
    this.lambdaShare = this.chi2 ? weights.lambdaShare ?? 0 : 0;
    this.density = buildDensityModel(ds);
    // Like λ_share, a term of the chi2 objective: `mismatch: seed` stays the original tool's J.
    this.lambdaDensity = this.chi2 ? weights.lambdaDensity ?? 0 : 0;
    this.band = mismatch !== 'seed' && weights.band && this.density.mean > 0 ? weights.band : null;
    this.refTotal = this.tierRef[0]! + this.tierRef[1]! + this.tierRef[2]!;
    this.invShare = new Float64Array(3);
    for (let t = 0; t < 3; t++) if (this.tierRef[t]! > 0) this.invShare[t] = this.refTotal / this.tierRef[t]!;
    ({ catOffsets: this.catOffsets, cats: this.cats } = distinctCategories(ds));
    ({ rareOffsets: this.rareOffsets, rareCategories: this.rareCategories, candidates: this.candidates } = rareLists(ds, this.catOffsets, this.cats, quota));
    this.keyWeight = Float64Array.from(this.tierOfKey, (t) => weights.tierWeights[t]!);
    this.xlogxTable = this.js ? xlogxTable(hist.ref) : new Float64Array(0);
    this.ratePerImage = this.candidates.length > 0 ? 1 / this.candidates.length : 0;
    this.finalSize = weights.finalSize ?? this.candidates.length;
    this.imageRows = imageRowTable(this);
  }
}

/** Per-image bins as interleaved (key, count) pairs (see `imageRows`). */
function interleavedBins(hist: Histograms): Int32Array {
  const pairs = new Int32Array(2 * hist.binKey.length);
  for (let q = 0; q < hist.binKey.length; q++) {
    pairs[2 * q] = hist.binKey[q]!;
    pairs[2 * q + 1] = hist.binCount[q]!;
  }
  return pairs;
}

/** Each key's tier, and each tier's number of keys. */
function tierKeys(hist: Histograms): { tierOfKey: Uint8Array; tierK: Float64Array } {
  const tierOfKey = new Uint8Array(hist.keyCategory.length);
  const tierK = new Float64Array(3);
  for (let t = 0; t < 3; t++) {
    tierOfKey.fill(t, hist.tierKeyStart[t]!, hist.tierKeyStart[t + 1]!);
    tierK[t] = hist.tierKeyStart[t + 1]! - hist.tierKeyStart[t]!;
  }
  return { tierOfKey, tierK };
}

/** lin_k, quad_k (seed: 1/ref, 1/ref²; chi2: 1, 1/ref) and Σ ref per tier. */
function keyCoefficients(hist: Histograms, tierOfKey: Uint8Array, chi2: boolean): { lin: Float64Array; quad: Float64Array; tierRef: Float64Array } {
  const K = tierOfKey.length;
  const lin = new Float64Array(K);
  const quad = new Float64Array(K);
  const tierRef = new Float64Array(3);
  for (let k = 0; k < K; k++) {
    const a = 1 / Math.max(hist.ref[k]!, 1e-9);
    lin[k] = chi2 ? 1 : a;
    quad[k] = chi2 ? a : a * a;
    tierRef[tierOfKey[k]!] += hist.ref[k]!;
  }
  return { lin, quad, tierRef };
}

/** Per image its distinct categories that have a rare quota (CSR, ascending); the images with annotations. */
function rareLists(ds: Dataset, catOffsets: Int32Array, cats: Int32Array, quota: Int32Array): { rareOffsets: Int32Array; rareCategories: Int32Array; candidates: Int32Array } {
  const n = ds.images.count;
  const rareOffsets = new Int32Array(n + 1);
  const rareList = new Int32Array(cats.length);
  let nRare = 0;
  const cands = new Int32Array(n);
  let nCands = 0;
  for (let i = 0; i < n; i++) {
    rareOffsets[i] = nRare;
    if (ds.images.annOffsets[i + 1]! > ds.images.annOffsets[i]!) cands[nCands++] = i;
    for (let q = catOffsets[i]!; q < catOffsets[i + 1]!; q++) if (!(quota[cats[q]!]! < 0)) rareList[nRare++] = cats[q]!;
  }
  rareOffsets[n] = nRare;
  return { rareOffsets, rareCategories: rareList.slice(0, nRare), candidates: cands.slice(0, nCands) };
}

/** n ln n for n = 0 … max ref (`js`: a key's count never exceeds its ref). */
function xlogxTable(ref: Float64Array): Float64Array {
  let max = 0;
  for (let k = 0; k < ref.length; k++) max = Math.max(max, ref[k]!);
  const table = new Float64Array(max + 1);
  for (let n = 1; n < table.length; n++) table[n] = n * Math.log(n);
  return table;
}

/** The hot path's per-image rows (see `imageRows`). */
function imageRowTable(p: SamplerProblem): Int32Array {
  const rows = new Int32Array(8 * p.imageCount);
  for (let i = 0; i < p.imageCount; i++) {
    rows[8 * i] = p.hist.binOffsets[i]!;
    rows[8 * i + 1] = p.hist.binOffsets[i + 1]!;
    rows[8 * i + 2] = p.rareOffsets[i]!;
    rows[8 * i + 3] = p.rareOffsets[i + 1]!;
    rows[8 * i + 4] = p.countMask[i]!;
    rows[8 * i + 5] = p.density.binOf[i]!;
    rows[8 * i + 6] = p.density.count[i]!;
  }
  return rows;
}

/**
 * Per image, its distinct categories in ascending order (CSR). Typed arrays and an in-place
 * insertion sort of each image's few categories: the cover and the rare quotas both need these
 * lists, and building them once this way takes ~0.02 s on full-scale data, where the two JS-array
 * builds it replaced (push, then splice and sort per image) took ~0.15 s of a 2k sample's 0.4 s.
 */
export function distinctCategories(ds: Dataset): { catOffsets: Int32Array; cats: Int32Array } {
  const nImg = ds.images.count;
  const { annOffsets, annIndex } = ds.images;
  const annCategory = ds.annotations.category;
  const catOffsets = new Int32Array(nImg + 1);
  const list = new Int32Array(ds.annotations.count);
  const last = new Int32Array(ds.categories.count).fill(-1);
  let n = 0;
  for (let i = 0; i < nImg; i++) {
    catOffsets[i] = n;
    const first = n;
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const c = annCategory[annIndex[q]!]!;
      if (last[c] === i) continue;
      last[c] = i;
      let k = n++;
      while (k > first && list[k - 1]! > c) {
        list[k] = list[k - 1]!;
        k--;
      }
      list[k] = c;
    }
  }
  catOffsets[nImg] = n;
  return { catOffsets, cats: list.slice(0, n) };
}
