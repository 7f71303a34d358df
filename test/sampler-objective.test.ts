/**
 * Exact incremental scoring: on random LVIS-shaped data, the sparse incremental scores
 * (per candidate, per swap, and the maintained `pool: all` scorer) equal a direct dense
 * computation of the seed's formulas to 1e-9 relative.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomDataset, testRng } from './helpers/make-dataset.js';
import { buildHistograms } from '../src/lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { ObjectiveState, SamplerProblem, scoreClassSize, tierMixPenalty, rareCapPenalty } from '../src/lvis/sampler/objective.js';
import { AllCandidatesScorer } from '../src/lvis/sampler/all-candidates.js';
import { estimateRareQuotas, finalRareQuotas } from '../src/lvis/sampler/quotas.js';
import type { Dataset } from '../src/lvis/dataset.js';

const REL = 1e-9;
function assertRel(actual: number, expected: number, what: string) {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= REL, `${what}: ${actual} vs dense ${expected} (relative error ${err})`);
}

function setup(seed: number, opts: { images: number; quotaTarget: number }) {
  const ds = randomDataset(seed, { images: opts.images, frequent: 25, common: 40, rare: 30, meanAnnotations: 7 });
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const rnd = testRng(seed * 31 + 1);
  const quota = finalRareQuotas(estimateRareQuotas(ds, 2, 'budget'), ds.categories.count, opts.quotaTarget);
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights: Float64Array.from([0.5 + rnd(), 0.5 + rnd(), 0.2 + rnd()]),
    lambdaTier: 1 + 4 * rnd(),
    lambdaCap: 0.1 + 2 * rnd(),
    target: Float64Array.from([0.6, 0.3, 0.1]),
  });
  return { ds, hist, rnd, problem };
}

/** J(S) straight from the seed's formulas on dense per-tier vectors built from the raw selection. */
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
  for (let t = 0; t < 3; t++) {
    const k0 = h.tierKeyStart[t]!;
    const k1 = h.tierKeyStart[t + 1]!;
    J += w.tierWeights[t]! * scoreClassSize(Array.from(v.subarray(k0, k1)), Array.from(h.ref.subarray(k0, k1)));
  }
  J += w.lambdaTier * tierMixPenalty(n, w.target, selected.size);
  J += w.lambdaCap * rareCapPenalty(presence, problem.quota);
  return J;
}

for (const seed of [1, 2, 3]) {
  test(`incremental candidate scores equal the dense seed computation (seed ${seed})`, () => {
    const { ds, rnd, problem } = setup(seed, { images: 1500, quotaTarget: 20 });
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
      assertRel(state.denseObjective(), denseJ(ds, problem, selected), 'denseObjective');
      for (const i of cands) {
        if (selected.has(i)) continue;
        selected.add(i);
        const expected = denseJ(ds, problem, selected);
        selected.delete(i);
        assertRel(state.scoreIfAdd(i), expected, `scoreIfAdd(${i}) at |S|=${target}`);
        assertRel(state.denseScoreIfAdd(i, scratch), expected, `denseScoreIfAdd(${i})`);
        assertRel(scorer.score(i), expected, `pool-all score(${i}) at |S|=${target}`);
        checked++;
      }
    }
    assert.ok(checked > 4000);
    // The pool scorer (what the greedy calls) gives the same numbers, in pool order.
    const pool = Int32Array.from(cands.filter((i) => !selected.has(i)).reverse());
    const out = new Float64Array(pool.length);
    state.scorePool(pool, pool.length, out);
    pool.forEach((i, q) => assert.equal(out[q], state.scoreIfAdd(i)));
  });
}

for (const seed of [4, 5]) {
  test(`swap deltas equal the dense seed computation, and add/remove keep J exact (seed ${seed})`, () => {
    const { ds, rnd, problem } = setup(seed, { images: 1200, quotaTarget: 5 });
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
