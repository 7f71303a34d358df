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
  /** chi2: λ_share and 1/Q_t (0 for a tier without keys). */
  readonly lambdaShare: number;
  readonly invShare: Float64Array;
  /** The full set's annotation density (bins, per-image counts) and λ_density (chi2 only; 0: no density term). */
  readonly density: DensityModel;
  readonly lambdaDensity: number;
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

  constructor(
    readonly ds: Dataset,
    readonly hist: Histograms,
    quota: Int32Array,
    readonly weights: ObjectiveWeights,
    readonly membership: TierMembership = 'each',
    readonly mismatch: Mismatch = 'seed',
  ) {
    this.chi2 = mismatch === 'chi2';
    this.imageCount = hist.imageCount;
    this.countMask = Uint8Array.from(hist.imageTierMask, (m) => countedTiers(m, membership));
    this.binPairs = new Int32Array(2 * hist.binKey.length);
    for (let q = 0; q < hist.binKey.length; q++) {
      this.binPairs[2 * q] = hist.binKey[q]!;
      this.binPairs[2 * q + 1] = hist.binCount[q]!;
    }
    this.keyCount = hist.keyCategory.length;
    this.quota = quota;
    this.tierOfKey = new Uint8Array(this.keyCount);
    this.tierK = new Float64Array(3);
    for (let t = 0; t < 3; t++) {
      const k0 = hist.tierKeyStart[t]!;
      const k1 = hist.tierKeyStart[t + 1]!;
      this.tierOfKey.fill(t, k0, k1);
      this.tierK[t] = k1 - k0;
    }
    this.lin = new Float64Array(this.keyCount);
    this.quad = new Float64Array(this.keyCount);
    this.tierRef = new Float64Array(3);
    for (let k = 0; k < this.keyCount; k++) {
      const a = 1 / Math.max(hist.ref[k]!, 1e-9);
      this.lin[k] = this.chi2 ? 1 : a;
      this.quad[k] = this.chi2 ? a : a * a;
      this.tierRef[this.tierOfKey[k]!] += hist.ref[k]!;
    }
    this.lambdaShare = this.chi2 ? weights.lambdaShare ?? 0 : 0;
    this.density = buildDensityModel(ds);
    // Like λ_share, a term of the chi2 objective: `mismatch: seed` stays the original tool's J.
    this.lambdaDensity = this.chi2 ? weights.lambdaDensity ?? 0 : 0;
    this.invShare = new Float64Array(3);
    const refTotal = this.tierRef[0]! + this.tierRef[1]! + this.tierRef[2]!;
    for (let t = 0; t < 3; t++) if (this.tierRef[t]! > 0) this.invShare[t] = refTotal / this.tierRef[t]!;

    const { annOffsets, annIndex } = ds.images;
    const annCategory = ds.annotations.category;
    const rareOffsets = new Int32Array(this.imageCount + 1);
    const rareList: number[] = [];
    const seen = new Int32Array(ds.categories.count).fill(-1);
    const cands: number[] = [];
    for (let i = 0; i < this.imageCount; i++) {
      rareOffsets[i] = rareList.length;
      const start = annOffsets[i]!;
      const end = annOffsets[i + 1]!;
      if (end > start) cands.push(i);
      const first = rareList.length;
      for (let p = start; p < end; p++) {
        const c = annCategory[annIndex[p]!]!;
        if (quota[c]! < 0 || seen[c] === i) continue;
        seen[c] = i;
        rareList.push(c);
      }
      if (rareList.length - first > 1) {
        const part = rareList.splice(first).sort((a, b) => a - b);
        rareList.push(...part);
      }
    }
    rareOffsets[this.imageCount] = rareList.length;
    this.rareOffsets = rareOffsets;
    this.rareCategories = Int32Array.from(rareList);
    this.candidates = Int32Array.from(cands);
    this.imageRows = new Int32Array(8 * this.imageCount);
    for (let i = 0; i < this.imageCount; i++) {
      this.imageRows[8 * i] = hist.binOffsets[i]!;
      this.imageRows[8 * i + 1] = hist.binOffsets[i + 1]!;
      this.imageRows[8 * i + 2] = rareOffsets[i]!;
      this.imageRows[8 * i + 3] = rareOffsets[i + 1]!;
      this.imageRows[8 * i + 4] = this.countMask[i]!;
      this.imageRows[8 * i + 5] = this.density.binOf[i]!;
      this.imageRows[8 * i + 6] = this.density.count[i]!;
    }
  }
}
