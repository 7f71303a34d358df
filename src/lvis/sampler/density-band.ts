/**
 * The density band (`greedy-sample`'s `density_band`, default ±5%): a constraint on how many
 * annotations the subset's images hold, not a term of the objective.
 *
 * With F the full set's distribution function of annotations per image (images with
 * annotations) and Ā its mean, a subset S of n images with L(a) images of at most a
 * annotations and s annotations in all is inside the band of width b when
 *
 *   |L(a)/n − F(a)| ≤ b for every a       (the shape: a Kolmogorov–Smirnov distance ≤ b)
 *   |s/(n·Ā) − 1| ≤ b                      (the mean)
 *
 * Its violation V(S) is the largest excess over these bounds (0 inside). The greedy pick, the
 * cover phase and refinement rank candidates by V(S ∪ {i}) first and by the objective J second
 * (lexicographically: a candidate that leaves the band, or stays further outside it, never
 * beats one inside, whatever the objective), so the objective spends all its freedom on
 * class×size fidelity within the band. While the subset is small its distribution cannot be
 * exact (one image is 1/n of it), so the band at size n is widened by 1/n − 1/N (N: the
 * subset's final size), which vanishes at the end: the final subset is inside the band itself
 * whenever the candidates allow it.
 *
 * V(S ∪ {i}) depends on the candidate only through its annotation count x, so `prepareAdd`
 * fills the excess of every x at once in O(A) (A: the largest count + 1) with a prefix and a
 * suffix maximum over the thresholds a, and each candidate is then a table look-up;
 * `prepareSwap` does the same for swapping out one image. See sampler-density.md.
 */

export class DensityBand {
  /** F(a) for a in [0, A). */
  private readonly cdf: Float64Array;
  /** Selected images per annotation count, and L(a) (recomputed by prepare*). */
  private readonly hist: Int32Array;
  private readonly below: Int32Array;
  private readonly prefix: Float64Array;
  private readonly suffix: Float64Array;
  /** Per annotation count x: the band excess of the prepared move (add or swap) with x. */
  readonly excess: Float64Array;
  size = 0;
  annotations = 0;

  /**
   * @param counts annotations of every image of the full set (images without any are ignored)
   * @param width b
   * @param finalSize N, the subset's size when done
   */
  constructor(counts: Int32Array, readonly width: number, readonly finalSize: number, readonly mean: number) {
    let max = 0;
    let images = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]! > max) max = counts[i]!;
      if (counts[i]! > 0) images++;
    }
    const A = max + 1;
    this.cdf = new Float64Array(A);
    for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) this.cdf[counts[i]!]!++;
    let c = 0;
    for (let a = 0; a < A; a++) this.cdf[a] = (c += this.cdf[a]!) / Math.max(1, images);
    this.hist = new Int32Array(A);
    this.below = new Int32Array(A);
    this.prefix = new Float64Array(A + 1);
    this.suffix = new Float64Array(A + 1);
    this.excess = new Float64Array(A);
  }

  /** Selected images with x annotations. */
  selectedWith(x: number): number {
    return this.hist[x]!;
  }

  add(x: number): void {
    this.hist[x]!++;
    this.size++;
    this.annotations += x;
  }

  remove(x: number): void {
    this.hist[x]!--;
    this.size--;
    this.annotations -= x;
  }

  /** The band's excess at the current size (0 inside the band, widened while small; see the header). */
  current(): number {
    this.fillBelow(-1);
    return this.excessAt(this.size, this.annotations, 0, this.below.length);
  }

  /** Fills `excess` for adding one image of each count x. */
  prepareAdd(): void {
    this.fillBelow(-1);
    this.fillExcess(this.size + 1, this.annotations);
  }

  /** Fills `excess` for swapping out a selected image of `out` annotations for one of each count x. */
  prepareSwap(out: number): void {
    this.fillBelow(out);
    this.fillExcess(this.size, this.annotations - out);
  }

  /** L(a), less one image of `out` annotations (−1: none). */
  private fillBelow(out: number): void {
    let c = 0;
    for (let a = 0; a < this.below.length; a++) {
      c += this.hist[a]! - (a === out ? 1 : 0);
      this.below[a] = c;
    }
  }

  /**
   * excess[x] for a subset of n images (the candidate included) whose other images hold `rest`
   * annotations: the CDF's worst threshold (below x from L, from x on from L + 1) and the mean.
   */
  private fillExcess(n: number, rest: number): void {
    const A = this.below.length;
    const tol = this.width + this.slack(n);
    const { cdf, below, prefix, suffix } = this;
    // prefix[x] = max over a < x of the CDF excess without the candidate counted at a.
    prefix[0] = 0;
    for (let a = 0; a < A; a++) prefix[a + 1] = Math.max(prefix[a]!, Math.abs(below[a]! / n - cdf[a]!) - tol);
    // suffix[x] = max over a ≥ x of the CDF excess with the candidate counted at a.
    suffix[A] = 0;
    for (let a = A - 1; a >= 0; a--) suffix[a] = Math.max(suffix[a + 1]!, Math.abs((below[a]! + 1) / n - cdf[a]!) - tol);
    for (let x = 0; x < A; x++) {
      const mean = Math.abs((rest + x) / (n * this.mean) - 1) - tol;
      this.excess[x] = Math.max(0, prefix[x]!, suffix[x]!, mean);
    }
  }

  private excessAt(n: number, annotations: number, from: number, to: number): number {
    if (n === 0) return 0;
    const tol = this.width + this.slack(n);
    let e = Math.max(0, Math.abs(annotations / (n * this.mean) - 1) - tol);
    for (let a = from; a < to; a++) e = Math.max(e, Math.abs(this.below[a]! / n - this.cdf[a]!) - tol);
    return e;
  }

  /** The widening at size n: 1/n − 1/N (one image's share while small, 0 at the end). */
  private slack(n: number): number {
    return Math.max(0, 1 / n - 1 / this.finalSize);
  }
}
