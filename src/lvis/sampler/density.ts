/**
 * Annotation density: how many annotations an image holds, and how far a subset's
 * distribution of that number is from the full set's (not in the original tool).
 *
 * Why the sampler needs it: the class×size mismatch of a subset falls as the subset holds
 * more annotations (more samples, less noise), so an optimizer of that mismatch alone prefers
 * crowded images, and the cover phase (the image covering the most uncovered categories)
 * does too. A mini-LVIS whose images hold two or three times LVIS's objects is not faithful,
 * so the objective gets a density term (option `lambda_density`):
 *
 *   D(S) = χ²_bins(S) + κ · (Ā_S / Ā − 1)²,   κ = 10
 *
 * - χ²_bins: the Pearson χ² divergence of the subset's histogram of annotations per image
 *   from the full set's (over images with annotations), in log-spaced bins: bin edges
 *   1, 2, 3, 4, 5, 7, 9, 12, 15, 19, 24, … (each edge max(e + 1, ⌈1.25 e⌉)), so every bin is
 *   at most 25% wide and the small counts, where most images are, each have their own bin.
 *   With h_b selected images in bin b, N = |S| and q_b the full set's share of bin b:
 *   χ²_bins = Σ_b (h_b/N − q_b)² / q_b = Σ_b h_b² / q_b / N² − 1 (1 for an empty subset).
 * - The mean term: Ā_S, the subset's annotations per image, against Ā, the full set's over
 *   images with annotations. Within a bin an optimizer would still prefer the most crowded
 *   image (a 25% wide bin, and the few images in the long tail share wide bins), and the mean
 *   is where the tail shows; this term pins it. (Ā_S / Ā − 1)² is 1 for an empty subset.
 *
 * Both are O(1) per candidate (`ObjectiveState` keeps Σ h_b² / q_b, N and Σ annotations)
 * and per swap. Every image with annotations falls in a bin with q_b > 0 (the bins are the
 * full set's), so the term is always finite. Also here: the Kolmogorov–Smirnov distance the
 * quality report gives (`ann_per_image_ks`), on the exact counts, not the bins.
 */
import type { Dataset } from '../dataset/dataset.js';

/** Each bin edge is at least this many times the one before (and at least one more). */
export const DENSITY_BIN_GROWTH = 1.25;

/**
 * κ, the weight of the mean term within D: a 10% error in the mean costs as much as a χ²_bins
 * of 0.1 (at κ = 1 the mean drifted to 1.10× the full set's at 2,000 of 100k images while
 * χ²_bins stayed low; bench/sampler.ts).
 */
export const DENSITY_MEAN_WEIGHT = 10;

/** The full set's annotation density, binned (see the header). */
export interface DensityModel {
  /** Per image: its annotations (all of them, bucketed or not). */
  count: Int32Array;
  /** Per image: its bin, −1 for an image without annotations. */
  binOf: Int32Array;
  /** Per bin: the lowest annotation count in it (bin b holds [lower[b], lower[b + 1])). */
  lower: Int32Array;
  /** Per bin: the full set's share q_b of images with annotations, and 1/q_b (0 when q_b = 0). */
  share: Float64Array;
  invShare: Float64Array;
  /** Ā: annotations per image over the full set's images with annotations (0 when there are none). */
  mean: number;
  /** Images with annotations. */
  images: number;
  /** κ, the weight of the mean term within D. */
  meanWeight: number;
}

/** The lower edges of the bins up to `max` annotations: 1, 2, 3, 4, 5, 7, 9, 12, … */
export function densityBinEdges(max: number): number[] {
  const edges = [1];
  while (edges[edges.length - 1]! <= max) {
    const e = edges[edges.length - 1]!;
    edges.push(Math.max(e + 1, Math.ceil(DENSITY_BIN_GROWTH * e)));
  }
  edges.pop();
  return edges;
}

/** Annotations of each image of the dataset. */
export function annotationsPerImage(ds: Dataset): Int32Array {
  const { annOffsets } = ds.images;
  const out = new Int32Array(ds.images.count);
  for (let i = 0; i < out.length; i++) out[i] = annOffsets[i + 1]! - annOffsets[i]!;
  return out;
}

export function buildDensityModel(ds: Dataset): DensityModel {
  const count = annotationsPerImage(ds);
  let max = 0;
  let total = 0;
  let images = 0;
  for (let i = 0; i < count.length; i++) {
    const a = count[i]!;
    if (a > max) max = a;
    if (a > 0) {
      total += a;
      images++;
    }
  }
  const lower = Int32Array.from(densityBinEdges(max));
  // Annotation count → bin, through a table (counts are small integers).
  const binOfCount = new Int32Array(max + 1).fill(-1);
  for (let b = 0; b < lower.length; b++) {
    const end = b + 1 < lower.length ? lower[b + 1]! : max + 1;
    for (let a = lower[b]!; a < end; a++) binOfCount[a] = b;
  }
  const binOf = new Int32Array(count.length); // a plain loop: TypedArray.from with a map function is ~10x slower
  for (let i = 0; i < count.length; i++) binOf[i] = binOfCount[count[i]!]!;
  const share = new Float64Array(lower.length);
  for (let i = 0; i < count.length; i++) if (binOf[i]! >= 0) share[binOf[i]!]!++;
  const invShare = new Float64Array(lower.length);
  for (let b = 0; b < share.length; b++) {
    share[b] = images > 0 ? share[b]! / images : 0;
    invShare[b] = share[b]! > 0 ? 1 / share[b]! : 0;
  }
  return { count, binOf, lower, share, invShare, mean: images > 0 ? total / images : 0, images, meanWeight: DENSITY_MEAN_WEIGHT };
}

/** χ²_bins of the subset's bin counts `h` (`n` images) against the full set's shares; 1 when n = 0. */
export function binsChi2(m: DensityModel, h: ArrayLike<number>, n: number): number {
  if (n <= 0) return 1;
  let chi = 0;
  for (let b = 0; b < m.share.length; b++) {
    const q = m.share[b]!;
    if (q <= 0) continue;
    const d = h[b]! / n - q;
    chi += (d * d) / q;
  }
  return chi;
}

/**
 * D(S) from the subset's bin counts `h` (dense reference; see the header): χ²_bins + the mean
 * term, with `n` images and `annotations` annotations in the subset. 1 + κ for an empty subset,
 * 0 when the full set has no annotations.
 */
export function densityPenalty(m: DensityModel, h: ArrayLike<number>, n: number, annotations: number): number {
  if (m.images === 0) return 0;
  if (n <= 0) return 1 + m.meanWeight;
  const mu = annotations / n / m.mean - 1;
  return binsChi2(m, h, n) + m.meanWeight * mu * mu;
}

/** The subset's bin counts and annotations, from its images (dense reference, quality). */
export function densityCounts(m: DensityModel, selected: ArrayLike<number>): { h: Float64Array; annotations: number } {
  const h = new Float64Array(m.share.length);
  let annotations = 0;
  for (let s = 0; s < selected.length; s++) {
    const i = selected[s]!;
    if (m.binOf[i]! >= 0) h[m.binOf[i]!]!++;
    annotations += m.count[i]!;
  }
  return { h, annotations };
}

/**
 * The Kolmogorov–Smirnov distance sup_x |F_a(x) − F_b(x)| between the empirical
 * distributions of two samples of integer counts given as histograms (index = count).
 * 0 when either is empty.
 */
export function ksDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let na = 0;
  let nb = 0;
  for (let x = 0; x < a.length; x++) na += a[x]!;
  for (let x = 0; x < b.length; x++) nb += b[x]!;
  if (na === 0 || nb === 0) return 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let x = 0, n = Math.max(a.length, b.length); x < n; x++) {
    ca += x < a.length ? a[x]! : 0;
    cb += x < b.length ? b[x]! : 0;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  return d;
}

/** A histogram of annotation counts (index = count) over the given images with annotations. */
export function countHistogram(count: Int32Array, images: ArrayLike<number> | null): Float64Array {
  let max = 0;
  for (let i = 0; i < count.length; i++) if (count[i]! > max) max = count[i]!;
  const h = new Float64Array(max + 1);
  if (images === null) {
    for (let i = 0; i < count.length; i++) if (count[i]! > 0) h[count[i]!]!++;
  } else {
    for (let s = 0; s < images.length; s++) if (count[images[s]!]! > 0) h[count[images[s]!]!]!++;
  }
  return h;
}

/** The median of a count histogram (the lower median; 0 when empty). */
export function histogramMedian(h: ArrayLike<number>): number {
  let n = 0;
  for (let x = 0; x < h.length; x++) n += h[x]!;
  if (n === 0) return 0;
  let c = 0;
  for (let x = 0; x < h.length; x++) {
    c += h[x]!;
    if (c >= n / 2) return x;
  }
  return h.length - 1;
}
