/**
 * The baseline strategies users can compare the greedy sampler with, on the same data.
 *
 * - `random`: a uniform draw of total_images among the images that have annotations.
 * - `restarts`: the COCO-minitrain method (giddyyupp/coco-minitrain, sample_coco.py): draw
 *   K uniform random subsets and keep the best. Its own score — max − min over (category,
 *   size) keys of the per-key ratio sampled/full, with any draw that misses a key thrown
 *   away — cannot work on LVIS: a 10% subset always misses some rare key (hundreds of keys
 *   have a single annotation), so every draw would be discarded, or, counting a missing key
 *   as ratio 0, every draw would score max − 0 ≈ 1. Draws are therefore scored by the
 *   class×size mismatch Σ_t w_t · mismatch_t (the objective's first term, with the chosen
 *   `mismatch`: JS at the draw's sampling rate, χ² or the original tool's score_classsize); the
 *   minitrain score of each draw is still recorded in the details so that the claim can be
 *   checked.
 * - `coverage`: MDETR's LVIS subsampler (ashkamath/mdetr, scripts/fine-tuning/
 *   lvis_coco_format.py, get_subset), see `sampleCoverage`.
 */
import type { Dataset } from '../dataset/dataset.js';
import { mismatchDense, shareChi2 } from './objective-terms.js';
import { type SamplerProblem } from './problem.js';
import type { SeededRandom } from './random.js';

export function sampleRandom(p: SamplerProblem, total: number, rng: SeededRandom): number[] {
  const items = p.candidates.slice();
  const m = rng.drawToFront(items, items.length, total);
  return Array.from(items.subarray(0, m));
}

export interface RestartsResult {
  order: number[];
  /** Per draw: Σ_t w_t · mismatch_t (+ λ_share · χ²_share for chi2; lower is better); the best is kept. */
  classSizeScores: number[];
  /** Per draw: COCO-minitrain's own score, max − min per-key ratio (a missing key = ratio 0). */
  minitrainScores: number[];
  /** Per draw: keys with no sampled annotation (minitrain would discard the draw). */
  missingKeys: number[];
  bestDraw: number;
}

export function sampleRestarts(p: SamplerProblem, total: number, draws: number, rng: SeededRandom): RestartsResult {
  const h = p.hist;
  const w = p.weights.tierWeights;
  const v = new Float64Array(p.keyCount);
  const out: RestartsResult = { order: [], classSizeScores: [], minitrainScores: [], missingKeys: [], bestDraw: -1 };
  let bestScore = Infinity;
  for (let d = 0; d < draws; d++) {
    const items = p.candidates.slice();
    const m = rng.drawToFront(items, items.length, total);
    v.fill(0);
    for (let q = 0; q < m; q++) {
      const i = items[q]!;
      for (let e = h.binOffsets[i]!; e < h.binOffsets[i + 1]!; e++) v[h.binKey[e]!] += h.binCount[e]!;
    }
    let score = 0;
    const tierV = [0, 0, 0];
    for (let t = 0; t < 3; t++) {
      const k0 = h.tierKeyStart[t]!;
      const k1 = h.tierKeyStart[t + 1]!;
      score += w[t]! * mismatchDense(p.mismatch, v.subarray(k0, k1), h.ref.subarray(k0, k1), { rate: m * p.ratePerImage, refTotal: p.refTotal });
      for (let k = k0; k < k1; k++) tierV[t] += v[k]!;
    }
    // chi2: the between-tier share term too (λ_share is 0 for the original tool's mismatch).
    if (p.lambdaShare !== 0) score += p.lambdaShare * shareChi2(tierV[0]!, tierV[1]!, tierV[2]!, p.invShare);
    let lo = Infinity;
    let hi = -Infinity;
    let missing = 0;
    for (let k = 0; k < p.keyCount; k++) {
      const r = v[k]! / h.ref[k]!;
      if (r < lo) lo = r;
      if (r > hi) hi = r;
      if (v[k] === 0) missing++;
    }
    out.classSizeScores.push(score);
    out.minitrainScores.push(p.keyCount > 0 ? hi - lo : 0);
    out.missingKeys.push(missing);
    if (score < bestScore) {
      bestScore = score;
      out.bestDraw = d;
      out.order = Array.from(items.subarray(0, m));
    }
  }
  return out;
}

export interface CoverageResult {
  order: number[];
  /** True when no category had an unchosen image left before total_images. */
  exhausted: boolean;
}

/**
 * MDETR's LVIS subsampler, re-created:
 *
 * - cat2img / img2cat from the annotations, skipping an annotation whose category is in its
 *   image's `not_exhaustive_category_ids`; a category that is never exhaustively annotated
 *   anywhere gets all its images back ("we pick some representants anyway");
 * - negcat2img from each image's `neg_category_ids`;
 * - pick j = 0 .. total−1: every `negativeEvery`-th pick (j % 10 == 0 in MDETR, so the first
 *   pick too) is a negative pick, the others positive. Take the least-counted category that
 *   still has an unchosen image (positive picks: among its cat2img images; negative: among its
 *   negcat2img images), ties broken as Python's Counter.most_common() breaks them there: the
 *   smallest (image_count, id); choose one of those images uniformly (in image-id order, as
 *   MDETR sorts them); then count +1 for every category of the image (img2cat) and negative
 *   count +1 for each of its negative categories.
 *
 * Deviations, all documented: images without annotations are never candidates here (MDETR's
 * negative picks can choose one), so negcat2img holds only images with annotations; when
 * the pick's own kind has no image left the other kind is tried, and when neither has any
 * the sample stops short (MDETR asserts); `image_count` is the category's field when the file
 * has it, else the number of images with an annotation of it; the random draws are ours
 * (seeded), not Python's `random.seed(42)` stream.
 */
export function sampleCoverage(
  ds: Dataset,
  total: number,
  negativeEvery: number,
  rng: SeededRandom,
): CoverageResult {
  const nCat = ds.categories.count;
  const nImg = ds.images.count;
  const { annOffsets, annIndex, notExhaustiveCategories: notEx, negCategories: neg } = ds.images;
  const annCategory = ds.annotations.category;
  const imageId = ds.images.id;

  // img2cat (positive memberships), as CSR; built in two passes.
  const isNotExhaustive = (i: number, c: number): boolean => {
    for (let q = notEx.offsets[i]!; q < notEx.offsets[i + 1]!; q++) if (notEx.values[q] === c) return true;
    return false;
  };
  const exhaustiveSomewhere = new Uint8Array(nCat);
  for (let i = 0; i < nImg; i++) {
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const c = annCategory[annIndex[q]!]!;
      if (!exhaustiveSomewhere[c] && !isNotExhaustive(i, c)) exhaustiveSomewhere[c] = 1;
    }
  }
  const imgCats: number[][] = Array.from({ length: nImg }, () => []);
  const seen = new Int32Array(nCat).fill(-1);
  for (let i = 0; i < nImg; i++) {
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      const c = annCategory[annIndex[q]!]!;
      if (seen[c] === i) continue;
      if (exhaustiveSomewhere[c] && isNotExhaustive(i, c)) continue;
      seen[c] = i;
      imgCats[i]!.push(c);
    }
  }
  const catImgs: number[][] = Array.from({ length: nCat }, () => []);
  for (let i = 0; i < nImg; i++) for (const c of imgCats[i]!) catImgs[c]!.push(i);
  const byId = (a: number, b: number) => imageId[a]! - imageId[b]!;
  for (const list of catImgs) list.sort(byId);

  const hasAnnotations = (i: number) => annOffsets[i + 1]! > annOffsets[i]!;
  const negImgs: number[][] = Array.from({ length: nCat }, () => []);
  for (let i = 0; i < nImg; i++) {
    if (!hasAnnotations(i)) continue;
    for (let q = neg.offsets[i]!; q < neg.offsets[i + 1]!; q++) negImgs[neg.values[q]!]!.push(i);
  }
  for (const list of negImgs) list.sort(byId);

  // Tie order: ascending (image_count, id).
  const imageCount = new Float64Array(nCat);
  for (let c = 0; c < nCat; c++) {
    const fromFile = ds.categories.imageCount[c]!;
    imageCount[c] = Number.isFinite(fromFile) ? fromFile : 0;
  }
  if (Array.from(ds.categories.imageCount).some((x) => !Number.isFinite(x))) {
    const counted = new Int32Array(nCat);
    const last = new Int32Array(nCat).fill(-1);
    for (let i = 0; i < nImg; i++) {
      for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
        const c = annCategory[annIndex[q]!]!;
        if (last[c] !== i) {
          last[c] = i;
          counted[c]!++;
        }
      }
    }
    for (let c = 0; c < nCat; c++) if (!Number.isFinite(ds.categories.imageCount[c]!)) imageCount[c] = counted[c]!;
  }
  const rankOrder = Array.from({ length: nCat }, (_, c) => c).sort(
    (a, b) => imageCount[a]! - imageCount[b]! || ds.categories.id[a]! - ds.categories.id[b]!,
  );
  const rank = new Int32Array(nCat);
  rankOrder.forEach((c, r) => (rank[c] = r));

  const posCount = new Int32Array(nCat);
  const negCount = new Int32Array(nCat);
  const posLeft = Int32Array.from(catImgs, (l) => l.length);
  const negLeft = Int32Array.from(negImgs, (l) => l.length);
  const chosen = new Uint8Array(nImg);
  const out: CoverageResult = { order: [], exhausted: false };

  const leastCovered = (count: Int32Array, left: Int32Array): number => {
    let best = -1;
    for (let c = 0; c < nCat; c++) {
      if (left[c] === 0) continue;
      if (best < 0 || count[c]! < count[best]! || (count[c] === count[best] && rank[c]! < rank[best]!)) best = c;
    }
    return best;
  };

  for (let j = 0; j < total; j++) {
    const doPos = negativeEvery === 0 || j % negativeEvery !== 0;
    let lists = doPos ? catImgs : negImgs;
    let left = doPos ? posLeft : negLeft;
    let c = leastCovered(doPos ? posCount : negCount, left);
    if (c < 0) {
      lists = doPos ? negImgs : catImgs;
      left = doPos ? negLeft : posLeft;
      c = leastCovered(doPos ? negCount : posCount, left);
    }
    if (c < 0) {
      out.exhausted = true;
      break;
    }
    let r = rng.int(left[c]!);
    let img = -1;
    for (const i of lists[c]!) {
      if (chosen[i]) continue;
      if (r-- === 0) {
        img = i;
        break;
      }
    }
    chosen[img] = 1;
    out.order.push(img);
    for (const cc of imgCats[img]!) {
      posCount[cc]!++;
      posLeft[cc]!--;
    }
    for (let q = neg.offsets[img]!; q < neg.offsets[img + 1]!; q++) {
      const cc = neg.values[q]!;
      negCount[cc]!++;
      negLeft[cc]!--;
    }
  }
  return out;
}
