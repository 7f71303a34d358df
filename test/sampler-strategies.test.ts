/**
 * The baseline strategies: random, restarts (COCO-minitrain) and coverage (MDETR).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset, randomDataset } from './helpers/make-dataset.js';
import { buildHistograms } from '../src/lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { SamplerProblem } from '../src/lvis/sampler/problem.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { sampleCoverage, sampleRandom, sampleRestarts } from '../src/lvis/sampler/strategies.js';
import { estimateRareQuotas } from '../src/lvis/sampler/quotas.js';
import { computeTierStats } from '../src/lvis/sampler/tier-stats.js';
import { computeTargetTierMix } from '../src/lvis/sampler/target-mix.js';
import { runSampler } from '../src/lvis/sampler/sampler.js';
import { defaultSamplerOptions } from '../src/steps/greedy-sample.js';

/** The step's declared defaults, as the domain takes them. */
const SAMPLER_DEFAULTS = defaultSamplerOptions();
import type { SamplerStrategy } from '../src/lvis/sampler/sample.js';
import type { Dataset } from '../src/lvis/dataset/dataset.js';

function problemOf(ds: Dataset) {
  return new SamplerProblem(ds, buildHistograms(ds, DEFAULT_SIZE_RULE), new Int32Array(ds.categories.count).fill(-1), {
    tierWeights: Float64Array.from([1, 1, 0.6]),
    lambdaTier: 3,
    lambdaCap: 2,
    target: Float64Array.from([0.6, 0.3, 0.1]),
  });
}

test('random: uniform draws among images with annotations only', () => {
  const ds = randomDataset(21, { images: 60, frequent: 5, common: 5, rare: 5, meanAnnotations: 3, emptyShare: 0.2 });
  const problem = problemOf(ds);
  const annotated = new Set(problem.candidates);
  assert.ok(annotated.size < 60 && annotated.size > 30);
  const hits = new Map<number, number>();
  for (let seed = 0; seed < 300; seed++) {
    const order = sampleRandom(problem, 10, new SeededRandom(seed));
    assert.equal(order.length, 10);
    assert.equal(new Set(order).size, 10);
    for (const i of order) {
      assert.ok(annotated.has(i), `image ${i} has no annotations`);
      hits.set(i, (hits.get(i) ?? 0) + 1);
    }
  }
  // Each annotated image is expected 300 · 10 / |annotated| times; all of them show up, none dominates.
  const expected = 3000 / annotated.size;
  assert.equal(hits.size, annotated.size);
  for (const [, n] of hits) assert.ok(n > expected / 2 && n < expected * 2, `${n} draws vs ${expected} expected`);
  assert.deepEqual(sampleRandom(problem, 10, new SeededRandom(4)), sampleRandom(problem, 10, new SeededRandom(4)));
  // Asking for more than there are gives all of them.
  assert.equal(sampleRandom(problem, 1000, new SeededRandom(4)).length, annotated.size);
});

test('restarts: the best of K random draws by class×size mismatch; minitrain’s own score is recorded', () => {
  const ds = randomDataset(22, { images: 500, frequent: 10, common: 15, rare: 20, meanAnnotations: 5 });
  const problem = problemOf(ds);
  const r = sampleRestarts(problem, 50, 12, new SeededRandom(5));
  assert.equal(r.classSizeScores.length, 12);
  const best = Math.min(...r.classSizeScores);
  assert.equal(r.classSizeScores[r.bestDraw], best);
  assert.equal(r.order.length, 50);
  // A 10% draw always misses some rare key, so COCO-minitrain would discard every draw…
  assert.ok(r.missingKeys.every((m) => m > 0));
  // …and, counting a missing key as ratio 0, its score is the largest per-key ratio of the draw.
  const h = problem.hist;
  const v = new Float64Array(h.keyCategory.length);
  for (const i of r.order) for (let q = h.binOffsets[i]!; q < h.binOffsets[i + 1]!; q++) v[h.binKey[q]!] += h.binCount[q]!;
  const maxRatio = Math.max(...Array.from(v, (x, k) => x / h.ref[k]!));
  assert.equal(r.minitrainScores[r.bestDraw], maxRatio);
  assert.ok(r.minitrainScores.some((s) => s === 1), 'a draw holding a single-annotation key scores 1');
});

/** MDETR's walk, by hand: see the comments in the test. */
function coverageDataset(withImageCounts = true) {
  const ic = (n: number) => (withImageCounts ? n : undefined);
  return makeDataset({
    categories: [
      { id: 1, tier: 'f', imageCount: ic(5) }, // A
      { id: 2, tier: 'c', imageCount: ic(2) }, // B
      { id: 3, tier: 'r', imageCount: ic(1) }, // C
      { id: 4, tier: 'r', imageCount: ic(1) }, // D
    ],
    images: [
      { id: 10, neg: [2] },
      { id: 11 },
      { id: 12, neg: [3] },
      { id: 13 },
      { id: 14, notExhaustive: [4] }, // D is never exhaustively annotated: counted anyway
      { id: 15, notExhaustive: [1] }, // A is exhaustive elsewhere: this image has no positive category
      { id: 16, neg: [1] }, // no annotations: never a candidate
    ],
    annotations: [
      { image: 10, category: 1, bbox: [0, 0, 5, 5] },
      { image: 11, category: 1, bbox: [0, 0, 5, 5] },
      { image: 11, category: 2, bbox: [0, 0, 5, 5] },
      { image: 12, category: 1, bbox: [0, 0, 5, 5] },
      { image: 13, category: 2, bbox: [0, 0, 5, 5] },
      { image: 13, category: 3, bbox: [0, 0, 5, 5] },
      { image: 14, category: 1, bbox: [0, 0, 5, 5] },
      { image: 14, category: 4, bbox: [0, 0, 5, 5] },
      { image: 15, category: 1, bbox: [0, 0, 5, 5] },
    ],
  });
}

test('coverage: MDETR’s least-covered-category walk, ties by (image_count, id)', () => {
  const ds = coverageDataset();
  const idOf = (order: number[]) => order.map((i) => ds.images.id[i]);
  for (const seed of [1, 2, 3, 4]) {
    const r = sampleCoverage(ds, 6, 0, new SeededRandom(seed));
    const ids = idOf(r.order);
    // 1: all counts 0; order C(1,3) < D(1,4) < B(2,2) < A(5,1): C → its only image 13 (B, C +1).
    // 2: D (count 0) → 14 (A, D +1). 3: C, D have no images left; A and B at 1, B first → 11.
    // 4, 5: A, from {10, 12} (15 is not an A image: its A annotation is not exhaustive).
    // 6: nothing left → stop short.
    assert.deepEqual(ids.slice(0, 3), [13, 14, 11]);
    assert.deepEqual([...ids.slice(3)].sort(), [10, 12]);
    assert.equal(r.exhausted, true);
  }
  // Without image_count fields, the counts come from the annotations (A 5, B 2, C 1, D 1): same walk.
  assert.deepEqual(idOf(sampleCoverage(coverageDataset(false), 3, 0, new SeededRandom(1)).order), [13, 14, 11]);
});

test('coverage: every n-th pick goes to the least-covered negative category, among annotated images', () => {
  const ds = coverageDataset();
  const r = sampleCoverage(ds, 2, 2, new SeededRandom(1));
  // Pick 0 is negative: C (image_count 1) is the first with a negative image → 12. Pick 1 is positive → 13.
  assert.deepEqual(r.order.map((i) => ds.images.id[i]), [12, 13]);
  // Image 16 (negative for A, no annotations) is never picked.
  const all = sampleCoverage(ds, 10, 2, new SeededRandom(1)).order.map((i) => ds.images.id[i]);
  assert.ok(!all.includes(16));
});

test('coverage covers every category that has an image, given enough picks', () => {
  const ds = randomDataset(23, { images: 2000, frequent: 20, common: 30, rare: 40, meanAnnotations: 6 });
  const stats = computeTierStats(ds);
  const r = runSampler(
    ds,
    buildHistograms(ds, DEFAULT_SIZE_RULE),
    computeTargetTierMix(stats.classes, stats.annotations, 0.6),
    estimateRareQuotas(ds, 2, 'budget'),
    { ...SAMPLER_DEFAULTS, strategy: 'coverage', totalImages: 200 },
  );
  assert.equal(r.report.metrics.coverage, 1);
  assert.ok(r.report.metrics.coverable_r! > 30);
});

test('every strategy: only annotated images, no duplicates, deterministic by seed', () => {
  const ds = randomDataset(24, { images: 700, frequent: 10, common: 15, rare: 15, meanAnnotations: 5, emptyShare: 0.15 });
  const stats = computeTierStats(ds);
  const hist = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const mix = computeTargetTierMix(stats.classes, stats.annotations, 0.6);
  const quotas = estimateRareQuotas(ds, 2, 'budget');
  for (const strategy of ['greedy', 'random', 'restarts', 'coverage'] as SamplerStrategy[]) {
    const opts = { ...SAMPLER_DEFAULTS, strategy, totalImages: 80, pool: 16, restartsK: 5 };
    const a = runSampler(ds, hist, mix, quotas, opts);
    assert.equal(a.sample.strategy, strategy);
    assert.equal(a.sample.imageIndices.length, 80, strategy);
    assert.equal(new Set(a.sample.imageIndices).size, 80, strategy);
    for (const i of a.sample.imageIndices) assert.ok(ds.images.annOffsets[i + 1]! > ds.images.annOffsets[i]!, strategy);
    assert.deepEqual(runSampler(ds, hist, mix, quotas, opts).sample, a.sample, strategy);
    // Quality is measured for every strategy.
    const m = a.report.metrics;
    assert.ok(m.js_divergence! > 0 && m.js_divergence! < 1, strategy);
    // Its split into between- and within-tier parts adds up to it.
    const parts = m.js_between_tiers! + m.js_within_f! + m.js_within_c! + m.js_within_r!;
    assert.ok(Math.abs(parts - m.js_divergence!) <= 1e-12, `${strategy}: ${parts} vs ${m.js_divergence}`);
    assert.ok(m.js_between_tiers! > 0 && m.js_within_f! > 0 && m.js_within_c! > 0, strategy);
  }
  // Asking for more images than have annotations yields them all, with a note.
  const all = runSampler(ds, hist, mix, quotas, { ...SAMPLER_DEFAULTS, strategy: 'random', totalImages: 5000 });
  assert.equal(all.sample.imageIndices.length, stats.totals.imagesWithAnnotations);
  assert.ok(all.notes.some((n) => /have annotations; the sample takes all of them \(total_images = 5000\)/.test(n)));
});
