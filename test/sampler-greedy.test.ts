/**
 * The greedy sampler: exact argmin picks (against a naive re-implementation of the original tool's
 * loop), budgets, the runaway guard, tier bonuses, refinement and determinism.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, randomDataset, type CompactAnnotation, type CompactImage } from './helpers/make-dataset.js';
import { buildHistograms } from '../src/lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { ObjectiveState } from '../src/lvis/sampler/objective.js';
import { denseObjective, denseScoreIfAdd } from '../src/lvis/sampler/objective-dense.js';
import { SamplerProblem } from '../src/lvis/sampler/problem.js';
import { runGreedy } from '../src/lvis/sampler/greedy.js';
import { refine } from '../src/lvis/sampler/refine.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { estimateRareQuotas } from '../src/lvis/sampler/quotas.js';
import { computeTierStats } from '../src/lvis/sampler/tier-stats.js';
import { computeTargetTierMix } from '../src/lvis/sampler/target-mix.js';
import { runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import { defaultSamplerOptions } from '../src/steps/greedy-sample.js';

/** The step's declared defaults, as the domain takes them. */
const SAMPLER_DEFAULTS = defaultSamplerOptions();
import type { Dataset } from '../src/lvis/dataset/dataset.js';

function problemOf(ds: Dataset, quota?: Int32Array, over: Partial<SamplerProblem['weights']> = {}) {
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  return new SamplerProblem(ds, hist, quota ?? new Int32Array(ds.categories.count).fill(-1), {
    tierWeights: Float64Array.from([1, 1, 0.6]),
    lambdaTier: 3,
    lambdaCap: 2,
    target: Float64Array.from([0.6, 0.3, 0.1]),
    ...over,
  });
}

const noBonus = new Float64Array(3);

test('pool: all picks the exact argmin of J(S ∪ {i}) every step, ties to the lowest index', () => {
  const ds = randomDataset(11, { images: 300, frequent: 10, common: 15, rare: 10, meanAnnotations: 5 });
  const problem = problemOf(ds);
  const state = new ObjectiveState(problem);
  const g = runGreedy(state, new SeededRandom(1), {
    totalImages: 60, pool: 'all', budgets: Int32Array.from([36, 18, 6]), tierBonus: noBonus, runawaySlack: 10,
  });
  // Naive: re-score every remaining candidate densely from scratch each step.
  const naive = new ObjectiveState(problem);
  const scratch = new Float64Array(problem.keyCount);
  const picks: number[] = [];
  for (let step = 0; step < 60; step++) {
    let best = -1;
    let bestScore = Infinity;
    for (const i of problem.candidates) {
      if (naive.selected[i]) continue;
      const s = denseScoreIfAdd(naive, i, scratch);
      if (s < bestScore) {
        bestScore = s;
        best = i;
      }
    }
    naive.add(best);
    picks.push(best);
  }
  assert.deepEqual(g.order, picks);
  assert.equal(g.trace.objective.length, 60);
  assert.equal(g.trace.objective.at(-1), state.objective());
});

test('a pool at least as large as the candidates scores them all, exactly as pool: all', () => {
  const ds = randomDataset(12, { images: 250, frequent: 10, common: 15, rare: 10, meanAnnotations: 5 });
  const problem = problemOf(ds);
  const opts = { totalImages: 50, budgets: Int32Array.from([30, 15, 5]), tierBonus: noBonus, runawaySlack: 0.05 };
  const a = runGreedy(new ObjectiveState(problem), new SeededRandom(3), { ...opts, pool: 'all' });
  const b = runGreedy(new ObjectiveState(problem), new SeededRandom(3), { ...opts, pool: 100000 });
  assert.deepEqual(a.order, b.order);
  assert.deepEqual(a.guard, b.guard);
});

/** 12 f-only images, 4 images with f and c, 4 c-only, 2 with r. */
function guardDataset() {
  const images: CompactImage[] = [];
  const annotations: CompactAnnotation[] = [];
  let id = 1;
  const add = (cats: number[]) => {
    images.push({ id });
    cats.forEach((c, k) => annotations.push({ image: id, category: c, bbox: [0, 0, 10 + 20 * k + id, 12] }));
    id++;
  };
  for (let k = 0; k < 12; k++) add([1 + (k % 2)]);
  for (let k = 0; k < 4; k++) add([1, 3]);
  for (let k = 0; k < 4; k++) add([3 + (k % 2)]);
  add([5]);
  add([1, 5]);
  images.push({ id: 99 }); // no annotations
  return makeDataset({
    categories: [
      { id: 1, tier: 'f' },
      { id: 2, tier: 'f' },
      { id: 3, tier: 'c' },
      { id: 4, tier: 'c' },
      { id: 5, tier: 'r' },
    ],
    images,
    annotations,
  });
}

test('runaway guard: once a tier passes int(1.05 · B), its pure-tier candidates are dropped', () => {
  const ds = guardDataset();
  const problem = problemOf(ds, undefined, { target: Float64Array.from([0.9, 0.05, 0.05]) });
  const mask = problem.hist.imageTierMask;
  const state = new ObjectiveState(problem);
  // Budget f = 4 → limit int(4.2) = 4: the guard fires when the 5th f image is picked.
  const g = runGreedy(state, new SeededRandom(5), {
    totalImages: 15, pool: 'all', budgets: Int32Array.from([4, 8, 3]), tierBonus: noBonus, runawaySlack: 0.05,
  });
  const fEvent = g.guard.find((e) => e.tier === 0);
  assert.ok(fEvent, 'the guard fired for tier f');
  assert.equal(fEvent.limit, 4);
  let nf = 0;
  let fiveAt = -1;
  g.order.forEach((i, at) => {
    if (mask[i]! & 1) nf++;
    if (nf === 5 && fiveAt < 0) fiveAt = at + 1;
  });
  assert.equal(fEvent.atSize, fiveAt);
  const pureFBefore = g.order.slice(0, fiveAt).filter((i) => mask[i] === 1).length;
  assert.equal(fEvent.removed, 12 - pureFBefore);
  assert.ok(g.order.slice(fiveAt).every((i) => mask[i] !== 1), 'no f-only image after the guard fired');
  // Images that touch f and another tier are still candidates.
  assert.ok(g.order.slice(fiveAt).some((i) => mask[i]! & 1));
  assert.ok(!g.order.includes(ds.images.count - 1), 'the image without annotations is never picked');
});

test('when the guard has dropped every candidate left, the sample stops short', () => {
  const ds = guardDataset();
  const problem = problemOf(ds, undefined, { target: Float64Array.from([0.9, 0.05, 0.05]) });
  const g = runGreedy(new ObjectiveState(problem), new SeededRandom(5), {
    totalImages: 22, pool: 8, budgets: Int32Array.from([2, 1, 1]), tierBonus: noBonus, runawaySlack: 0,
  });
  assert.equal(g.exhausted, true);
  assert.ok(g.order.length < 22);
  assert.equal(new Set(g.order).size, g.order.length);
});

test('tier bonus: candidates touching an under-budget tier get it subtracted', () => {
  const ds = guardDataset();
  const problem = problemOf(ds);
  const mask = problem.hist.imageTierMask;
  const g = runGreedy(new ObjectiveState(problem), new SeededRandom(2), {
    totalImages: 6, pool: 'all', budgets: Int32Array.from([3, 2, 1]), tierBonus: Float64Array.from([0, 0, 100]), runawaySlack: 1,
  });
  // The rare budget is 1: the first pick touches r (bonus), the next ones need not.
  assert.ok(mask[g.order[0]!]! & 4);
  const plain = runGreedy(new ObjectiveState(problem), new SeededRandom(2), {
    totalImages: 6, pool: 'all', budgets: Int32Array.from([3, 2, 1]), tierBonus: noBonus, runawaySlack: 1,
  });
  assert.ok(!(mask[plain.order[0]!]! & 4), 'without the bonus the first pick is not a rare image');
});

test('refinement only applies swaps that lower J; the time budget cuts it short', () => {
  const ds = randomDataset(13, { images: 600, frequent: 15, common: 20, rare: 15, meanAnnotations: 6 });
  const problem = problemOf(ds);
  const state = new ObjectiveState(problem);
  const g = runGreedy(state, new SeededRandom(7), {
    totalImages: 80, pool: 16, budgets: Int32Array.from([48, 24, 8]), tierBonus: noBonus, runawaySlack: 0.05,
  });
  const before = state.objective();
  const order = g.order.slice();
  const r = refine(state, order, new SeededRandom(8), { iterations: 400, seconds: null, pool: 64 });
  assert.equal(r.iterations, 400);
  assert.equal(r.stoppedBy, 'iterations');
  assert.ok(r.accepted > 0);
  let prev = before;
  for (const J of r.trace.objective) {
    assert.ok(J <= prev, `J went up: ${prev} → ${J}`);
    prev = J;
  }
  assert.ok(state.objective() < before);
  assertRelClose(state.objective(), denseObjective(state));
  // The order holds exactly the selected images, no duplicates.
  assert.equal(new Set(order).size, 80);
  assert.ok(order.every((i) => state.selected[i] === 1));

  // A clock that advances 1 s per reading: the deadline is read at 1 s (→ 3.5 s); the checks
  // before iterations 1, 2, 3 read 2 s, 3 s, 4 s, so two iterations run.
  let clock = 0;
  const timed = refine(state, order, new SeededRandom(9), {
    iterations: 1000, seconds: 2.5, pool: 8, now: () => (clock += 1000),
  });
  assert.equal(timed.stoppedBy, 'time');
  assert.equal(timed.iterations, 2);
});

function assertRelClose(a: number, b: number) {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${a} vs ${b}`);
}

function pipelineInputs(ds: Dataset) {
  const stats = computeTierStats(ds);
  return {
    hist: buildHistograms(ds, DEFAULT_SIZE_RULE),
    mix: computeTargetTierMix(stats.classes, stats.annotations, 0.6),
    quotas: estimateRareQuotas(ds, 2, 'budget'),
  };
}

test('greedy-sample is deterministic: same inputs, options and seed give the same subset', () => {
  const ds = randomDataset(14, { images: 800, frequent: 15, common: 20, rare: 15, meanAnnotations: 6 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  const opts: SamplerOptions = { ...SAMPLER_DEFAULTS, totalImages: 120, pool: 32, refineIters: 50 };
  const a = runSampler(ds, hist, mix, quotas, opts);
  const b = runSampler(ds, hist, mix, quotas, opts);
  assert.deepEqual(a.sample, b.sample);
  assert.deepEqual(a.report.metrics, b.report.metrics);
  const c = runSampler(ds, hist, mix, quotas, { ...opts, seed: 99 });
  assert.notDeepEqual(a.sample.imageIndices, c.sample.imageIndices);
});

test('budgets, final rare quotas and the sample record come out of runSampler', () => {
  const ds = randomDataset(15, { images: 900, frequent: 15, common: 20, rare: 15, meanAnnotations: 6 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  const r = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, totalImages: 100, pool: 'all' });
  const b = r.details.budgets;
  assert.equal(b.f + b.c + b.r, 100);
  assert.equal(r.sample.imageIndices.length, 100);
  assert.deepEqual(r.sample.imageIds, r.sample.imageIndices.map((i) => ds.images.id[i]));
  // Kept categories: exactly those of the selected annotations, ascending index.
  const kept = new Set<number>();
  let anns = 0;
  for (const i of r.sample.imageIndices) {
    for (let q = ds.images.annOffsets[i]!; q < ds.images.annOffsets[i + 1]!; q++) {
      kept.add(ds.annotations.category[ds.images.annIndex[q]!]!);
      anns++;
    }
  }
  assert.deepEqual(r.sample.keptCategoryIndices, [...kept].sort((x, y) => x - y));
  assert.deepEqual(r.sample.keptCategoryIds, r.sample.keptCategoryIndices.map((c) => ds.categories.id[c]));
  assert.equal(r.sample.annotationCount, anns);
  assert.equal(r.report.metrics.annotations_kept, anns);
  // Rare quotas were rescaled to the rare budget.
  const sumQuota = r.details.rareQuotas.quota.reduce((x, y) => x + y, 0);
  assert.ok(sumQuota <= b.r && sumQuota > b.r / 2, `Σ quota ${sumQuota} vs B_r ${b.r}`);
  // The objective the quality record recomputes independently equals the greedy's last J.
  assertRelClose(r.report.metrics.objective!, r.details.trace.greedy.objective.at(-1)!);
});

test('total_images beyond the images there are takes them all, for every strategy (1e12 once wrapped the Int32 budgets: 151 images)', () => {
  const ds = randomDataset(18, { images: 400, frequent: 10, common: 10, rare: 10, meanAnnotations: 5 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  let annotated = 0;
  for (let i = 0; i < ds.images.count; i++) if (ds.images.annOffsets[i + 1]! > ds.images.annOffsets[i]!) annotated++;
  assert.ok(annotated < ds.images.count, 'the dataset has images without annotations');
  for (const strategy of ['greedy', 'random', 'restarts'] as const) {
    for (const totalImages of [annotated + 1, 1e12]) {
      const r = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, strategy, totalImages, restartsK: 3 });
      assert.equal(r.sample.imageIndices.length, annotated, `${strategy} ${totalImages}`);
      assert.equal(new Set(r.sample.imageIndices).size, annotated);
      assert.equal(r.sample.requestedImages, totalImages);
      const b = r.details.budgets;
      assert.equal(b.f + b.c + b.r, annotated);
      assert.ok(b.f >= 0 && b.c >= 0 && b.r >= 0, JSON.stringify(b));
      assert.ok(r.notes.some((n) => n.includes(`only ${annotated} images have annotations; the sample takes all of them (total_images = ${totalImages})`)), r.notes.join('\n'));
      assert.ok(!r.notes.some((n) => /-\d/.test(n)), r.notes.join('\n'));
    }
  }
  const c = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, strategy: 'coverage', totalImages: 1e12 });
  assert.equal(c.sample.imageIndices.length, ds.images.count);
});

test('histograms from another dataset are refused', () => {
  const ds = randomDataset(16, { images: 100, frequent: 5, common: 5, rare: 5, meanAnnotations: 4 });
  const other = randomDataset(17, { images: 120, frequent: 5, common: 5, rare: 5, meanAnnotations: 4 });
  const { mix, quotas } = pipelineInputs(ds);
  assert.throws(
    () => runSampler(ds, buildHistograms(other, DEFAULT_SIZE_RULE), mix, quotas, SAMPLER_DEFAULTS),
    /were not built from this dataset/,
  );
});

test('tier membership: `each` counts every touched tier, `rarest` only the rarest (a partition)', async () => {
  const { countedTiers } = await import('../src/lvis/sampler/objective-terms.js');
  // bits: f 1, c 2, r 4
  assert.equal(countedTiers(0b111, 'each'), 0b111);
  assert.equal(countedTiers(0b111, 'rarest'), 0b100);
  assert.equal(countedTiers(0b011, 'rarest'), 0b010);
  assert.equal(countedTiers(0b001, 'rarest'), 0b001);
  assert.equal(countedTiers(0, 'rarest'), 0);

  const ds = randomDataset(18, { images: 700, frequent: 12, common: 18, rare: 15, meanAnnotations: 6 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  const each = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, totalImages: 100, pool: 'all', tierMembership: 'each' });
  const rarest = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, totalImages: 100, pool: 'all', tierMembership: 'rarest' });
  const share = (m: Record<string, number>) => m.tier_share_f! + m.tier_share_c! + m.tier_share_r!;
  assert.ok(share(each.report.metrics) > 1.05, 'with `each`, images count for several tiers');
  // With `rarest`, every image with a bucketed annotation counts for exactly one tier.
  const untiered = rarest.sample.imageIndices.filter((i) => hist.imageTierMask[i] === 0).length;
  assert.ok(Math.abs(share(rarest.report.metrics) - (100 - untiered) / 100) < 1e-12, 'shares partition the images');
  const r = rarest.details.tiers.map((t) => t.images);
  assert.equal(r[0]! + r[1]! + r[2]! + untiered, 100);
  assertRelClose(rarest.report.metrics.objective!, rarest.details.trace.greedy.objective.at(-1)!);
});

function coveredCategories(ds: Dataset, order: number[]): Set<number> {
  const s = new Set<number>();
  for (const i of order) {
    for (let q = ds.images.annOffsets[i]!; q < ds.images.annOffsets[i + 1]!; q++) s.add(ds.annotations.category[ds.images.annIndex[q]!]!);
  }
  return s;
}

function coverableCategories(ds: Dataset): Set<number> {
  return coveredCategories(ds, Array.from({ length: ds.images.count }, (_, i) => i));
}

test('cover: every category with an image is in the subset, where the original tool’s mode leaves some out', () => {
  const ds = randomDataset(21, { images: 900, frequent: 12, common: 20, rare: 40, meanAnnotations: 5 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  const coverable = coverableCategories(ds);
  const base: SamplerOptions = { ...SAMPLER_DEFAULTS, totalImages: 120, pool: 'all' };
  const seedMode = runSampler(ds, hist, mix, quotas, { ...base, mismatch: 'seed', cover: false });
  assert.ok(coveredCategories(ds, seedMode.sample.imageIndices).size < coverable.size, 'the original tool’s mode misses categories here');
  for (const mismatch of ['chi2', 'seed'] as const) {
    const r = runSampler(ds, hist, mix, quotas, { ...base, mismatch, cover: true });
    assert.equal(coveredCategories(ds, r.sample.imageIndices).size, coverable.size, `cover with mismatch ${mismatch}`);
    assert.equal(r.report.metrics.coverage, 1);
    assert.equal(r.sample.imageIndices.length, 120);
    assert.equal(r.details.cover!.covered, coverable.size);
    // The cover images come first and count toward the tier budgets like any pick.
    assert.ok(r.details.cover!.images > 0 && r.details.cover!.images < 120);
    assert.equal(r.details.trace.greedy.objective.length, 120);
    assertRelClose(r.report.metrics.objective!, r.details.trace.greedy.objective.at(-1)!);
  }
});

test('cover: rarest first, the image covering most uncovered categories, then the objective', async () => {
  const { CoverTracker, runCover } = await import('../src/lvis/sampler/cover.js');
  // Image counts: category 1 (index 0) 4 images; 2, 3, 4 (indices 1–3) 2 images each.
  const ds = makeDataset({
    categories: [{ id: 1, tier: 'f' }, { id: 2, tier: 'f' }, { id: 3, tier: 'c' }, { id: 4, tier: 'r' }],
    images: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }, { id: 5 }],
    annotations: [
      { image: 1, category: 4, bbox: [0, 0, 10, 10] },
      { image: 1, category: 1, bbox: [0, 0, 10, 10] },
      { image: 2, category: 4, bbox: [0, 0, 10, 10] },
      { image: 2, category: 3, bbox: [0, 0, 10, 10] },
      { image: 2, category: 1, bbox: [0, 0, 10, 10] },
      { image: 3, category: 3, bbox: [0, 0, 10, 10] },
      { image: 4, category: 1, bbox: [0, 0, 10, 10] },
      { image: 4, category: 2, bbox: [0, 0, 10, 10] },
      { image: 5, category: 2, bbox: [0, 0, 10, 10] },
      { image: 5, category: 1, bbox: [0, 0, 10, 10] },
    ],
  });
  const problem = problemOf(ds);
  const state = new ObjectiveState(problem);
  const tracker = new CoverTracker(state);
  assert.deepEqual(tracker.coverOrder(), [1, 2, 3, 0]); // ascending image count, ties by index
  const r = runCover(state, tracker, 10);
  // Category index 1: images 4 and 5 (indices 3, 4) both cover 2 new categories and hold the
  // same keys (equal objective): the lower index, 3. Category index 2: image index 1 covers
  // 2 new categories (3 and 4), image index 2 only 1: index 1. Category index 3 is then covered.
  assert.deepEqual(r.order, [3, 1]);
  assert.equal(r.covered, 4);
  assert.equal(r.coverable, 4);
  // A budget of 1 covers the rarest category first and reports the two left.
  const small = new ObjectiveState(problem);
  const s = runCover(small, new CoverTracker(small), 1);
  assert.deepEqual(s.order, [3]);
  assert.equal(s.leftForBudget, 2);
  assert.equal(s.covered, 2);
});

test('cover: rare quotas are respected where an alternative exists', async () => {
  const { CoverTracker, runCover } = await import('../src/lvis/sampler/cover.js');
  // Rare 3 has quota 0 (any image with it goes over). Category 2 is in image 1 (with 3) and
  // image 2 (without): image 1 covers more new categories, but image 2 keeps the quota.
  const ds = makeDataset({
    categories: [{ id: 1, tier: 'f' }, { id: 2, tier: 'c' }, { id: 3, tier: 'r' }],
    images: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
    annotations: [
      { image: 4, category: 1, bbox: [0, 0, 10, 10] },
      { image: 1, category: 2, bbox: [0, 0, 10, 10] },
      { image: 1, category: 3, bbox: [0, 0, 10, 10] },
      { image: 1, category: 1, bbox: [0, 0, 10, 10] },
      { image: 2, category: 2, bbox: [0, 0, 10, 10] },
      { image: 3, category: 1, bbox: [0, 0, 10, 10] },
      { image: 3, category: 3, bbox: [0, 0, 10, 10] },
    ],
  });
  const quota = Int32Array.from([-1, -1, 0]);
  const problem = problemOf(ds, quota);
  const state = new ObjectiveState(problem);
  const r = runCover(state, new CoverTracker(state), 10);
  // Category 2 (2 images) before 3 (2 images, higher index) before 1 (3 images).
  assert.deepEqual(new CoverTracker(new ObjectiveState(problem)).coverOrder(), [1, 2, 0]);
  assert.equal(r.order[0], 1, 'category 2 covered by the image without the capped rare class');
  assert.equal(r.covered, 3, 'the rare class is still covered, over its quota, having no other image');
  assert.equal(r.overQuota, 1);
});

test('cover: refinement never loses a category, results are deterministic, small budgets cover rarest first', () => {
  const ds = randomDataset(22, { images: 800, frequent: 12, common: 20, rare: 40, meanAnnotations: 5 });
  const { hist, mix, quotas } = pipelineInputs(ds);
  const coverable = coverableCategories(ds);
  const opts: SamplerOptions = { ...SAMPLER_DEFAULTS, totalImages: 100, pool: 32, refineIters: 400, refinePool: 64 };
  const a = runSampler(ds, hist, mix, quotas, opts);
  assert.ok(a.details.refine!.accepted > 0, 'refinement swapped images');
  assert.equal(coveredCategories(ds, a.sample.imageIndices).size, coverable.size, 'coverage kept through refinement');
  const b = runSampler(ds, hist, mix, quotas, opts);
  assert.deepEqual(a.sample, b.sample);
  assert.deepEqual(a.report.metrics, b.report.metrics);

  // Too small a budget: the sample has total_images images, the rarest categories are covered.
  const small = runSampler(ds, hist, mix, quotas, { ...opts, totalImages: 6, refineIters: 0 });
  assert.equal(small.sample.imageIndices.length, 6);
  assert.ok(small.details.cover!.leftForBudget > 0);
  assert.ok(small.notes.some((n) => /too small to cover every category/.test(n)));
  const imagesOf = new Map<number, Set<number>>();
  for (let i = 0; i < ds.images.count; i++) {
    for (let q = ds.images.annOffsets[i]!; q < ds.images.annOffsets[i + 1]!; q++) {
      const c = ds.annotations.category[ds.images.annIndex[q]!]!;
      if (!imagesOf.has(c)) imagesOf.set(c, new Set());
      imagesOf.get(c)!.add(i);
    }
  }
  const rarest = [...imagesOf.keys()].sort((x, y) => imagesOf.get(x)!.size - imagesOf.get(y)!.size || x - y).slice(0, 6);
  const got = coveredCategories(ds, small.sample.imageIndices);
  for (const c of rarest) assert.ok(got.has(c), `rarest category ${c} covered`);
});
