/**
 * Exact incremental scoring: on random LVIS-shaped data, the sparse incremental scores
 * (per candidate, per swap, and the maintained `pool: all` scorer) equal a direct dense
 * computation of the formulas to 1e-9 relative — for the original tool's mismatch (score_classsize)
 * and for chi2 (per-tier Pearson χ² plus the between-tier share term and the density term, written
 * here as Σ (p − q)² / q straight from the shares, not with the implementation's running-sum form).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomDataset, testRng } from './helpers/make-dataset.js';
import { buildHistograms } from '../src/lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { chi2Divergence, scoreClassSize, shareChi2, tierMixPenalty, rareCapPenalty, type Mismatch } from '../src/lvis/sampler/objective-terms.js';
import { ObjectiveState } from '../src/lvis/sampler/objective.js';
import { denseObjective, denseScoreIfAdd } from '../src/lvis/sampler/objective-dense.js';
import { SamplerProblem } from '../src/lvis/sampler/problem.js';
import { AllCandidatesScorer } from '../src/lvis/sampler/all-candidates.js';
import { CandidateSet } from '../src/lvis/sampler/candidate-set.js';
import { estimateRareQuotas, finalRareQuotas } from '../src/lvis/sampler/quotas.js';
import { DENSITY_MEAN_WEIGHT } from '../src/lvis/sampler/density.js';
import type { Dataset } from '../src/lvis/dataset/dataset.js';

const REL = 1e-9;
function assertRel(actual: number, expected: number, what: string) {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= REL, `${what}: ${actual} vs dense ${expected} (relative error ${err})`);
}

function setup(seed: number, opts: { images: number; quotaTarget: number; mismatch?: Mismatch }) {
  const ds = randomDataset(seed, { images: opts.images, frequent: 25, common: 40, rare: 30, meanAnnotations: 7 });
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const rnd = testRng(seed * 31 + 1);
  const quota = finalRareQuotas(estimateRareQuotas(ds, 2, 'budget'), ds.categories.count, opts.quotaTarget);
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights: Float64Array.from([0.5 + rnd(), 0.5 + rnd(), 0.2 + rnd()]),
    lambdaTier: 1 + 4 * rnd(),
    lambdaCap: 0.1 + 2 * rnd(),
    lambdaShare: 0.5 + 3 * rnd(),
    lambdaDensity: 0.5 + 3 * rnd(),
    target: Float64Array.from([0.6, 0.3, 0.1]),
  }, 'each', opts.mismatch ?? 'seed');
  return { ds, hist, rnd, problem };
}

/** Pearson χ² of the shares of v against those of ref, term by term; 1 for an all-zero v. */
function chi2FromShares(v: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (v.length === 0) return 0;
  let V = 0;
  let R = 0;
  for (let k = 0; k < v.length; k++) {
    V += v[k]!;
    R += ref[k]!;
  }
  if (V === 0) return 1;
  let s = 0;
  for (let k = 0; k < v.length; k++) {
    if (ref[k]! === 0) continue;
    const p = v[k]! / V;
    const q = ref[k]! / R;
    s += ((p - q) * (p - q)) / q;
  }
  return s;
}

/** J(S) straight from the original tool's formulas on dense per-tier vectors built from the raw selection. */
function denseJ(ds: Dataset, problem: SamplerProblem, selected: Set<number>): number {
  const h = problem.hist;
  const v = new Float64Array(h.keyCategory.length);
  const n = [0, 0, 0];
  const presence = new Int32Array(ds.categories.count);
  for (const i of selected) {
    for (let q = h.binOffsets[i]!; q < h.binOffsets[i + 1]!; q++) v[h.binKey[q]!] += h.binCount[q]!;
    for (let t = 0; t < 3; t++) if (h.imageTierMask[i]! & (1 << t)) n[t]!++;
    const seen = new Set<number>();
    for (let q = ds.images.annOffsets[i]!; q < ds.images.annOffsets[i + 1]!; q++) {
      seen.add(ds.annotations.category[ds.images.annIndex[q]!]!);
    }
    for (const c of seen) presence[c]!++;
  }
  const w = problem.weights;
  let J = 0;
  const tierV = [0, 0, 0];
  const tierR = [0, 0, 0];
  for (let t = 0; t < 3; t++) {
    const k0 = h.tierKeyStart[t]!;
    const k1 = h.tierKeyStart[t + 1]!;
    const vt = Array.from(v.subarray(k0, k1));
    const rt = Array.from(h.ref.subarray(k0, k1));
    J += w.tierWeights[t]! * (problem.mismatch === 'chi2' ? chi2FromShares(vt, rt) : scoreClassSize(vt, rt));
    tierV[t] = vt.reduce((a, b) => a + b, 0);
    tierR[t] = rt.reduce((a, b) => a + b, 0);
  }
  if (problem.mismatch === 'chi2') J += w.lambdaShare! * chi2FromShares(tierV, tierR);
  J += w.lambdaTier * tierMixPenalty(n, w.target, selected.size);
  J += w.lambdaCap * rareCapPenalty(presence, problem.quota);
  if (problem.mismatch === 'chi2') J += w.lambdaDensity! * densityFromScratch(ds, selected);
  return J;
}

/**
 * The density term from its definition: bins with lower edges 1, then max(e + 1, ⌈1.25 e⌉);
 * the χ² of the subset's bin shares against the full set's (images with annotations), plus
 * κ times the squared relative error of the mean annotations per image.
 */
function densityFromScratch(ds: Dataset, selected: Set<number>): number {
  const count = (i: number) => ds.images.annOffsets[i + 1]! - ds.images.annOffsets[i]!;
  const edges = [1];
  while (edges.at(-1)! <= 1000) edges.push(Math.max(edges.at(-1)! + 1, Math.ceil(1.25 * edges.at(-1)!)));
  const binOf = (a: number) => edges.findLastIndex((e) => e <= a);
  const full = new Map<number, number>();
  let fullImages = 0;
  let fullAnn = 0;
  for (let i = 0; i < ds.images.count; i++) {
    if (count(i) === 0) continue;
    full.set(binOf(count(i)), (full.get(binOf(count(i))) ?? 0) + 1);
    fullImages++;
    fullAnn += count(i);
  }
  if (selected.size === 0) return 1 + DENSITY_MEAN_WEIGHT;
  const sub = new Map<number, number>();
  let subAnn = 0;
  for (const i of selected) {
    sub.set(binOf(count(i)), (sub.get(binOf(count(i))) ?? 0) + 1);
    subAnn += count(i);
  }
  let chi = 0;
  for (const [b, f] of full) {
    const q = f / fullImages;
    const p = (sub.get(b) ?? 0) / selected.size;
    chi += ((p - q) * (p - q)) / q;
  }
  const mu = subAnn / selected.size / (fullAnn / fullImages) - 1;
  return chi + DENSITY_MEAN_WEIGHT * mu * mu;
}

for (const [seed, mismatch] of [[1, 'seed'], [2, 'seed'], [3, 'seed'], [1, 'chi2'], [2, 'chi2'], [3, 'chi2']] as const) {
  test(`incremental candidate scores equal the dense computation (mismatch ${mismatch}, seed ${seed})`, () => {
    const { ds, rnd, problem } = setup(seed, { images: 1500, quotaTarget: 20, mismatch });
    const state = new ObjectiveState(problem);
    const scorer = new AllCandidatesScorer(state);
    const selected = new Set<number>();
    const scratch = new Float64Array(problem.keyCount);
    const cands = Array.from(problem.candidates);
    let checked = 0;
    // Grow the subset in rounds, checking every candidate at a few sizes (including empty).
    for (const target of [0, 1, 40, 200]) {
      while (selected.size < target) {
        const i = cands[Math.floor(rnd() * cands.length)]!;
        if (selected.has(i)) continue;
        selected.add(i);
        state.add(i);
        scorer.onAdd(i);
      }
      assertRel(state.objective(), denseJ(ds, problem, selected), 'J(S)');
      assertRel(denseObjective(state), denseJ(ds, problem, selected), 'denseObjective');
      const expectedOf = new Map<number, number>();
      for (const i of cands) {
        if (selected.has(i)) continue;
        selected.add(i);
        const expected = denseJ(ds, problem, selected);
        selected.delete(i);
        expectedOf.set(i, expected);
        assertRel(state.scoreIfAdd(i), expected, `scoreIfAdd(${i}) at |S|=${target}`);
        assertRel(denseScoreIfAdd(state, i, scratch), expected, `denseScoreIfAdd(${i})`);
        assertRel(scorer.score(i), expected, `pool-all score(${i}) at |S|=${target}`);
        checked++;
      }
      // The pool-all greedy's pick (its hot loop, with a fast path for frequent-only
      // candidates) is the dense minimum: same score, and the image's own dense score is it.
      const remaining = CandidateSet.of(problem.imageCount, cands.filter((i) => !selected.has(i)));
      const best = scorer.best(remaining);
      const min = Math.min(...expectedOf.values());
      assertRel(best.score, min, `pool-all best at |S|=${target}`);
      assertRel(expectedOf.get(best.image)!, min, `pool-all best image ${best.image} at |S|=${target}`);
    }
    assert.ok(checked > 4000);
    // The pool scorer (what the greedy calls) gives the same numbers, in pool order.
    const pool = Int32Array.from(cands.filter((i) => !selected.has(i)).reverse());
    const out = new Float64Array(pool.length);
    state.scorePool(pool, pool.length, out);
    pool.forEach((i, q) => assert.equal(out[q], state.scoreIfAdd(i)));
  });
}

for (const [seed, mismatch] of [[4, 'seed'], [5, 'seed'], [4, 'chi2'], [5, 'chi2']] as const) {
  test(`swap deltas equal the dense computation, and add/remove keep J exact (mismatch ${mismatch}, seed ${seed})`, () => {
    const { ds, rnd, problem } = setup(seed, { images: 1200, quotaTarget: 5, mismatch });
    const state = new ObjectiveState(problem);
    const selected = new Set<number>();
    const cands = Array.from(problem.candidates);
    while (selected.size < 150) {
      const i = cands[Math.floor(rnd() * cands.length)]!;
      if (selected.has(i)) continue;
      selected.add(i);
      state.add(i);
    }
    const J0 = denseJ(ds, problem, selected);
    const inside = Array.from(selected);
    let swaps = 0;
    for (let trial = 0; trial < 600; trial++) {
      const j = inside[Math.floor(rnd() * inside.length)]!;
      const i = cands[Math.floor(rnd() * cands.length)]!;
      if (selected.has(i)) continue;
      selected.delete(j);
      selected.add(i);
      const after = denseJ(ds, problem, selected);
      selected.delete(i);
      selected.add(j);
      assertRel(J0 + state.swapDelta(j, i), after, `swap ${j}→${i}`);
      swaps++;
    }
    assert.ok(swaps > 500);
    // Apply a chain of swaps through remove/add and check the running state stays exact.
    for (let trial = 0; trial < 100; trial++) {
      const list = Array.from(selected);
      const j = list[Math.floor(rnd() * list.length)]!;
      const i = cands[Math.floor(rnd() * cands.length)]!;
      if (selected.has(i)) continue;
      const predicted = state.objective() + state.swapDelta(j, i);
      state.remove(j);
      state.add(i);
      selected.delete(j);
      selected.add(i);
      const dense = denseJ(ds, problem, selected);
      assertRel(state.objective(), dense, 'J after swap');
      assertRel(predicted, dense, 'predicted J after swap');
    }
  });
}

test('the state refuses to add a selected image twice or remove an unselected one', () => {
  const { problem } = setup(6, { images: 50, quotaTarget: 5 });
  const state = new ObjectiveState(problem);
  const i = problem.candidates[0]!;
  state.add(i);
  assert.throws(() => state.add(i), /already selected/);
  state.remove(i);
  assert.throws(() => state.remove(i), /not selected/);
  assert.equal(state.size, 0);
  assert.equal(state.objective(), 0);
});

test('chi2 by hand: shares against the full set, empty and keyless tiers, the between-tier term', () => {
  // v = [1, 1] against ref = [1, 3]: p = (½, ½), q = (¼, ¾): (¼)²/¼ + (¼)²/¾ = ¼ + 1/12 = ⅓.
  assert.ok(Math.abs(chi2Divergence([1, 1], [1, 3]) - 1 / 3) < 1e-15);
  // Scale-free: ten times the counts, the same divergence (the original tool's MSE grows 100×).
  assert.ok(Math.abs(chi2Divergence([10, 10], [1, 3]) - 1 / 3) < 1e-15);
  assert.ok(Math.abs(scoreClassSize([10, 10], [1, 3]) / scoreClassSize([1, 1], [1, 3]) - 100) < 1e-9);
  // Proportional to the full set: 0. Nothing of the tier: 1 (Σ q). No keys: 0.
  assert.equal(chi2Divergence([2, 6], [1, 3]), 0);
  assert.equal(chi2Divergence([0, 0], [1, 3]), 1);
  assert.equal(chi2Divergence([], []), 0);
  // Mass-weighted: missing a key with 1 of 1001 annotations costs 1/1001; missing the big one, ~1000.
  assert.ok(Math.abs(chi2Divergence([0, 10], [1, 1000]) - (1 / 1001 + (1 / 1001) ** 2 / (1000 / 1001))) < 1e-15);
  assert.ok(chi2Divergence([10, 0], [1, 1000]) > 900);
  // Between tiers: V = (8, 2, 0) against Q = (½, ¼, ¼): (0.8² / ½ + 0.2² / ¼ + 0) − 1 = 1.28 + 0.16 − 1 = 0.44.
  assert.ok(Math.abs(shareChi2(8, 2, 0, [2, 4, 4]) - 0.44) < 1e-15);
  assert.equal(shareChi2(0, 0, 0, [2, 4, 4]), 1);
});

test('chi2: the state\'s per-tier terms match hand-computed values on a tiny problem', async () => {
  const { makeDataset } = await import('./helpers/make-dataset.js');
  // f: category 1 (2 small boxes in image 1, 1 in image 2); c: category 2 (1 small box in image 2).
  const ds = makeDataset({
    categories: [{ id: 1, tier: 'f' }, { id: 2, tier: 'c' }, { id: 3, tier: 'r' }],
    images: [{ id: 1 }, { id: 2 }, { id: 3 }],
    annotations: [
      { image: 1, category: 1, bbox: [0, 0, 10, 10] },
      { image: 1, category: 1, bbox: [0, 0, 10, 10] },
      { image: 2, category: 1, bbox: [0, 0, 200, 200] },
      { image: 2, category: 2, bbox: [0, 0, 10, 10] },
      { image: 3, category: 3, bbox: [0, 0, 10, 10] },
    ],
  });
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const problem = new SamplerProblem(ds, hist, new Int32Array(3).fill(-1), {
    tierWeights: Float64Array.from([1, 1, 1]), lambdaTier: 0, lambdaCap: 0, lambdaShare: 1, target: Float64Array.from([1, 0, 0]),
  }, 'rarest', 'chi2');
  const state = new ObjectiveState(problem);
  // Empty subset: every tier with keys scores 1, and so does the share term: J = 3 + 1.
  assert.equal(state.objective(), 4);
  // Image 1 alone: f keys (1,S) ref 2 and (1,L) ref 1, subset (2, 0): p = (1, 0), q = (⅔, ⅓):
  // (⅓)²/⅔ + (⅓)²/⅓ = 1/6 + 1/3 = ½. c, r: 1 each. Shares: V = (2, 0, 0), Q = (3/5, 1/5, 1/5):
  // 1/(3/5) − 1 = ⅔. J = ½ + 1 + 1 + ⅔.
  const expected = 0.5 + 2 + 2 / 3;
  assert.ok(Math.abs(state.scoreIfAdd(0) - expected) < 1e-12);
  state.add(0);
  assert.ok(Math.abs(state.objective() - expected) < 1e-12);
  assert.ok(Math.abs(state.term[0]! - 0.5) < 1e-12);
});
