/**
 * Exact scoring of *every* remaining candidate in each greedy step (`pool: all`).
 *
 * Scoring each candidate from its own entries costs O(nnz) per candidate and step:
 * 10,000 steps × 90,000 candidates × ~10 entries is ~10¹⁰ operations at full scale. Instead,
 * per image i and tier t we keep the two numbers the incremental formula needs
 * (see objective.ts; both modes use G and E only as 2G + E):
 *
 *   D = Σ x_k lin_k                          (a constant of the image)
 *   H = 2G + E, G = Σ v_k x_k quad_k, E = Σ x_k² quad_k
 *                                            (changes only when a key k of i changes)
 *
 * (lin, quad: 1/ref, 1/ref² for `mismatch: seed`; 1, 1/ref for `chi2`), so a candidate's
 * score J(S ∪ {i}) is a handful of flops (and, for chi2, one division per tier it touches).
 * When image j is committed, only the images sharing a key with j need their G updated: for
 * each entry (k, x_jk) of j, every image i in key k's posting list gets
 * H += 2 · x_jk · x_ik · quad_k. The rare-cap change
 * is kept per image the same way (`capCount`: its rare classes at or over quota), updated
 * when a class reaches its quota. Nothing is approximated: the score equals the dense seed
 * computation (tested to 1e-9 relative), only the order of floating-point additions differs.
 */
import type { CandidateSet } from './candidate-set.js';
import type { ObjectiveState } from './objective.js';
import type { SamplerProblem } from './problem.js';
import { shareChi2, tierMixPenalty } from './objective-terms.js';

// D0 H0 D1 H1 D2 H2: both modes need G and E only as 2G + E, so they are kept summed (48 bytes
// per image instead of 72; measured time-neutral at full scale, the loop is bound by its divisions).
const STRIDE = 6;

export class AllCandidatesScorer {
  private readonly p: SamplerProblem;
  /** Per image: D and H = 2G + E for each tier, interleaved. */
  private readonly coef: Float64Array;
  private readonly capCount: Int32Array;
  /** Key → images containing it, with their counts (CSC of the per-image bins). */
  private readonly keyOffsets: Int32Array;
  private readonly keyImages: Int32Array;
  private readonly keyCounts: Int32Array;
  /** Rare category → images containing it. */
  private readonly catOffsets: Int32Array;
  private readonly catImages: Int32Array;
  private readonly pb = new Float64Array(8);
  /** chi2 with λ_density: per density bin, λ_density · χ²_bins with one more image there (this step). */
  private readonly densityBin: Float64Array;
  private readonly nn = new Int32Array(3);

  constructor(private readonly state: ObjectiveState) {
    const p = state.p;
    this.p = p;
    const h = p.hist;
    const n = p.imageCount;
    const K = p.keyCount;
    const nnz = h.binKey.length;

    const keyOffsets = new Int32Array(K + 1);
    for (let q = 0; q < nnz; q++) keyOffsets[h.binKey[q]! + 1]!++;
    for (let k = 0; k < K; k++) keyOffsets[k + 1] += keyOffsets[k]!;
    const fill = keyOffsets.slice(0, K);
    const keyImages = new Int32Array(nnz);
    const keyCounts = new Int32Array(nnz);
    const coef = new Float64Array(n * STRIDE);
    for (let i = 0; i < n; i++) {
      for (let q = h.binOffsets[i]!; q < h.binOffsets[i + 1]!; q++) {
        const k = h.binKey[q]!;
        const x = h.binCount[q]!;
        const at = fill[k]!++;
        keyImages[at] = i;
        keyCounts[at] = x;
        const base = i * STRIDE + 2 * p.tierOfKey[k]!;
        const xq = x * p.quad[k]!;
        coef[base] += x * p.lin[k]!;
        coef[base + 1] += x * xq + 2 * state.v[k]! * xq;
      }
    }
    this.keyOffsets = keyOffsets;
    this.keyImages = keyImages;
    this.keyCounts = keyCounts;
    this.coef = coef;

    const nCat = p.quota.length;
    const catOffsets = new Int32Array(nCat + 1);
    for (let q = 0; q < p.rareCategories.length; q++) catOffsets[p.rareCategories[q]! + 1]!++;
    for (let c = 0; c < nCat; c++) catOffsets[c + 1] += catOffsets[c]!;
    const cfill = catOffsets.slice(0, nCat);
    const catImages = new Int32Array(p.rareCategories.length);
    const capCount = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let q = p.rareOffsets[i]!; q < p.rareOffsets[i + 1]!; q++) {
        const c = p.rareCategories[q]!;
        catImages[cfill[c]!++] = i;
        if (state.presence[c]! >= p.quota[c]!) capCount[i]!++;
      }
    }
    this.catOffsets = catOffsets;
    this.catImages = catImages;
    this.capCount = capCount;
    this.densityBin = new Float64Array(p.density.share.length);
  }

  /** Call right after `state.add(j)`. */
  onAdd(j: number): void {
    const p = this.p;
    const h = p.hist;
    const { keyOffsets, keyImages, keyCounts, coef } = this;
    for (let q = h.binOffsets[j]!; q < h.binOffsets[j + 1]!; q++) {
      const k = h.binKey[q]!;
      const xa2 = 2 * h.binCount[q]! * p.quad[k]!;
      const slot = 2 * p.tierOfKey[k]! + 1;
      for (let r = keyOffsets[k]!, end = keyOffsets[k + 1]!; r < end; r++) {
        coef[keyImages[r]! * STRIDE + slot] += xa2 * keyCounts[r]!;
      }
    }
    for (let q = p.rareOffsets[j]!; q < p.rareOffsets[j + 1]!; q++) {
      const c = p.rareCategories[q]!;
      if (this.state.presence[c] === p.quota[c]) {
        for (let r = this.catOffsets[c]!; r < this.catOffsets[c + 1]!; r++) this.capCount[this.catImages[r]!]!++;
      }
    }
  }

  /** J(S ∪ {i}) for one image (tests). */
  score(i: number, bonusByMask?: Float64Array): number {
    this.prepare(bonusByMask);
    return this.scoreOne(i);
  }

  private base = 0;
  private mu0 = 0;
  private mu1 = 0;
  private c0 = 0; private a0 = 0; private b0 = 0;
  private c1 = 0; private a1 = 0; private b1 = 0;
  private c2 = 0; private a2 = 0; private b2 = 0;

  /** Per-step constants: tier coefficients and the tier-mix/bonus term of each tier mask. */
  private prepare(bonusByMask?: Float64Array): void {
    const s = this.state;
    const w = this.p.weights;
    const coefOf = (t: number): [number, number, number] => {
      const K = this.p.tierK[t]!;
      if (K === 0) return [0, 0, 0];
      const wt = w.tierWeights[t]!;
      return [wt / K, (wt * 2 * s.r1[t]!) / (K * K), wt / (K * K)];
    };
    [this.c0, this.a0, this.b0] = coefOf(0);
    [this.c1, this.a1, this.b1] = coefOf(1);
    [this.c2, this.a2, this.b2] = coefOf(2);
    this.base = (this.p.chi2 ? 0 : s.classSizeTerm()) + w.lambdaCap * s.capOver;
    const ld = this.p.lambdaDensity;
    if (ld !== 0) {
      // D(S ∪ {i}) = χ²_bins(bin of i) + (μ0 + a_i · μ1)², μ = mean with i / full-set mean − 1.
      const d = this.p.density;
      const n1 = s.size + 1;
      for (let b = 0; b < this.densityBin.length; b++) {
        this.densityBin[b] = ld * ((s.densityS2 + (2 * s.densityH[b]! + 1) * d.invShare[b]!) / (n1 * n1) - 1);
      }
      this.mu0 = s.annotations / (n1 * d.mean) - 1;
      this.mu1 = 1 / (n1 * d.mean);
    }
    for (let mask = 0; mask < 8; mask++) {
      for (let t = 0; t < 3; t++) this.nn[t] = s.n[t]! + ((mask >> t) & 1);
      this.pb[mask] =
        w.lambdaTier * tierMixPenalty(this.nn, w.target, s.size + 1) - (bonusByMask ? bonusByMask[mask]! : 0);
    }
  }

  private scoreOne(i: number): number {
    if (this.p.chi2) return this.scoreOneChi2(i);
    const c = this.coef;
    const o = i * STRIDE;
    const d0 = c[o]!, d1 = c[o + 2]!, d2 = c[o + 4]!;
    return (
      this.base +
      this.pb[this.p.countMask[i]!]! +
      this.p.weights.lambdaCap * this.capCount[i]! +
      (this.c0 * c[o + 1]! - d0 * (this.a0 + this.b0 * d0)) +
      (this.c1 * c[o + 3]! - d1 * (this.a1 + this.b1 * d1)) +
      (this.c2 * c[o + 5]! - d2 * (this.a2 + this.b2 * d2))
    );
  }

  /** chi2: the per-tier χ² with i added, absolute (base holds only the cap term). */
  private scoreOneChi2(i: number): number {
    const c = this.coef;
    const o = i * STRIDE;
    const s = this.state;
    const tw = this.p.weights.tierWeights;
    let v = this.base + this.pb[this.p.countMask[i]!]! + this.p.weights.lambdaCap * this.capCount[i]!;
    for (let t = 0; t < 3; t++) v += tw[t]! * s.tierWith(t, c[o + 2 * t]!, c[o + 2 * t + 1]!);
    const ls = this.p.lambdaShare;
    if (ls !== 0) v += ls * shareChi2(s.r1[0]! + c[o]!, s.r1[1]! + c[o + 2]!, s.r1[2]! + c[o + 4]!, this.p.invShare);
    const ld = this.p.lambdaDensity;
    if (ld !== 0) {
      const mu = this.mu0 + this.p.density.count[i]! * this.mu1;
      v += this.densityBin[this.p.density.binOf[i]!]! + ld * this.p.density.meanWeight * mu * mu;
    }
    return v;
  }

  /**
   * The best member of `set`: lowest score, ties to the lowest image index. Walks the
   * candidates in index order (sequential memory access to the per-image numbers, ~3× faster
   * at full scale than following the set's shuffled order) and skips non-members.
   * Returns the image (or −1 when the set is empty) and its score J(S ∪ {i}) − bonus.
   */
  best(set: CandidateSet, bonusByMask?: Float64Array, excess?: Float64Array): { image: number; score: number } {
    this.prepare(bonusByMask);
    if (this.p.chi2) return this.bestChi2(set, excess);
    const coef = this.coef;
    const mask = this.p.countMask;
    const capCount = this.capCount;
    const lc = this.p.weights.lambdaCap;
    const pb = this.pb;
    const pos = set.pos;
    const cands = this.p.candidates;
    const { c0, a0, b0, c1, a1, b1, c2, a2, b2 } = this;
    let bestImage = -1;
    let bestScore = Infinity;
    for (let q = 0, n = cands.length; q < n; q++) {
      const i = cands[q]!;
      if (pos[i]! < 0) continue;
      const o = i * STRIDE;
      const d0 = coef[o]!, d1 = coef[o + 2]!, d2 = coef[o + 4]!;
      const s =
        pb[mask[i]!]! +
        lc * capCount[i]! +
        (c0 * coef[o + 1]! - d0 * (a0 + b0 * d0)) +
        (c1 * coef[o + 3]! - d1 * (a1 + b1 * d1)) +
        (c2 * coef[o + 5]! - d2 * (a2 + b2 * d2));
      if (s < bestScore) {
        bestScore = s;
        bestImage = i;
      }
    }
    return { image: bestImage, score: this.base + bestScore };
  }

  /**
   * best() for chi2: per tier the candidate touches, R · (R2 + 2G + E) / (R1 + D)² − 1;
   * untouched tiers keep their current value (written out per tier: the hot loop).
   */
  private bestChi2(set: CandidateSet, excess?: Float64Array): { image: number; score: number } {
    const coef = this.coef;
    const mask = this.p.countMask;
    const capCount = this.capCount;
    const lc = this.p.weights.lambdaCap;
    const pb = this.pb;
    const pos = set.pos;
    const cands = this.p.candidates;
    const s = this.state;
    const tw = this.p.weights.tierWeights;
    const R = this.p.tierRef;
    const w0 = tw[0]!, w1 = tw[1]!, w2 = tw[2]!;
    const wR0 = w0 * R[0]!, wR1 = w1 * R[1]!, wR2 = w2 * R[2]!;
    const v0 = s.r1[0]!, v1 = s.r1[1]!, v2 = s.r1[2]!;
    const q0 = s.r2[0]!, q1 = s.r2[1]!, q2 = s.r2[2]!;
    const t0 = w0 * s.term[0]!, t1 = w1 * s.term[1]!, t2 = w2 * s.term[2]!;
    const ls = this.p.lambdaShare;
    const is0 = this.p.invShare[0]!, is1 = this.p.invShare[1]!, is2 = this.p.invShare[2]!;
    // Frequent-only candidates (most of them): the f term and the share term over one
    // denominator, one division instead of two. The loop is bound by its divisions: at full
    // scale (10k of 100k images) this took the pool-all greedy from 35 s to 19 s.
    const ld = this.p.lambdaDensity;
    const densityBin = this.densityBin;
    const binOf = this.p.density.binOf;
    const annCount = this.p.density.count;
    const mu0 = this.mu0, mu1 = this.mu1;
    const ldMean = ld * this.p.density.meanWeight;
    const t12 = t1 + t2;
    const v12 = v1 + v2;
    const s12 = v1 * v1 * is1 + v2 * v2 * is2;
    let bestImage = -1;
    let bestScore = Infinity;
    // The density band ranks first (its excess by annotation count; see density-band.ts).
    let bestExcess = Infinity;
    for (let q = 0, n = cands.length; q < n; q++) {
      const i = cands[q]!;
      if (pos[i]! < 0) continue;
      const e = excess ? excess[annCount[i]!]! : 0;
      if (e > bestExcess) continue;
      if (e < bestExcess) {
        bestExcess = e;
        bestScore = Infinity;
      }
      const o = i * STRIDE;
      const d0 = coef[o]!, d1 = coef[o + 2]!, d2 = coef[o + 4]!;
      let sc = pb[mask[i]!]! + lc * capCount[i]!;
      if (ld !== 0) {
        const mu = mu0 + annCount[i]! * mu1;
        sc += densityBin[binOf[i]!]! + ldMean * mu * mu;
      }
      if (d1 === 0 && d2 === 0 && d0 !== 0 && ls !== 0) {
        const V0 = v0 + d0;
        const V = V0 + v12;
        const V0s = V0 * V0;
        const Vs = V * V;
        sc += t12 + (wR0 * (q0 + coef[o + 1]!) * Vs + ls * (V0s * is0 + s12) * V0s) / (V0s * Vs) - w0 - ls;
        if (sc < bestScore) {
          bestScore = sc;
          bestImage = i;
        }
        continue;
      }
      if (d0 === 0) sc += t0;
      else { const V = v0 + d0; sc += (wR0 * (q0 + coef[o + 1]!)) / (V * V) - w0; }
      if (d1 === 0) sc += t1;
      else { const V = v1 + d1; sc += (wR1 * (q1 + coef[o + 3]!)) / (V * V) - w1; }
      if (d2 === 0) sc += t2;
      else { const V = v2 + d2; sc += (wR2 * (q2 + coef[o + 5]!)) / (V * V) - w2; }
      if (ls !== 0) {
        const V0 = v0 + d0, V1 = v1 + d1, V2 = v2 + d2;
        const V = V0 + V1 + V2;
        sc += V > 0 ? (ls * (V0 * V0 * is0 + V1 * V1 * is1 + V2 * V2 * is2)) / (V * V) - ls : ls;
      }
      if (sc < bestScore) {
        bestScore = sc;
        bestImage = i;
      }
    }
    return { image: bestImage, score: this.base + bestScore };
  }
}
