/**
 * The original tool's helper functions on small cases computed by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from './helpers/make-dataset.js';
import { bucketOfArea, sizeBucketFromBbox, NO_BUCKET, DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { computeTierStats } from '../src/lvis/sampler/tier-stats.js';
import { computeTargetTierMix } from '../src/lvis/sampler/target-mix.js';
import { scoreClassSize, tierMixPenalty, rareCapPenalty } from '../src/lvis/sampler/objective-terms.js';
import { estimateRareQuotas, rescaleQuotas, finalRareQuotas } from '../src/lvis/sampler/quotas.js';
import { roundHalfEven, tierBudgets } from '../src/lvis/sampler/budgets.js';
import { buildHistograms, densifyTier, keyLabel, tierKeyCount } from '../src/lvis/sampler/histograms.js';
import { jsDecomposition, jsDivergence } from '../src/lvis/sampler/quality.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { categoriesByTier } from '../src/lvis/sampler/tiers.js';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { displayPath } from '../src/base/display-path.js';

const near = (a: number, b: number, tol = 1e-12) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

/** Categories 1,2 frequent, 3 common, 4,5 rare; four images (id 40 has no annotations). */
function handDataset(areaOverride?: number) {
  return makeDataset({
    categories: [
      { id: 1, tier: 'f' },
      { id: 2, tier: 'f' },
      { id: 3, tier: 'c' },
      { id: 4, tier: 'r' },
      { id: 5, tier: 'r' },
    ],
    images: [{ id: 10 }, { id: 20 }, { id: 30 }, { id: 40 }],
    annotations: [
      { id: 101, image: 10, category: 1, bbox: [0, 0, 10, 10] }, // f S
      { id: 102, image: 10, category: 1, bbox: [0, 0, 10, 10] }, // f S (same key)
      { id: 103, image: 10, category: 3, bbox: [0, 0, 50, 50] }, // c M
      { id: 201, image: 20, category: 2, bbox: [0, 0, 100, 100] }, // f L
      { id: 202, image: 20, category: 4, bbox: [0, 0, 32, 32] }, // r M (exactly 32²)
      { id: 203, image: 20, category: 4, bbox: [0, 0, 0.5, 40] }, // degenerate: no bucket
      { id: 301, image: 30, category: 4, bbox: [0, 0, 96, 96], area: areaOverride ?? 96 * 96 }, // r L (exactly 96²)
      { id: 302, image: 30, category: 5, bbox: [0, 0, 5, 5] }, // r S
      { id: 303, image: 30, category: 1, bbox: [0, 0, 40, 40] }, // f M
    ],
  });
}

test('size buckets: half-open at 32² and 96², as the original tool; degenerate boxes get none', () => {
  const rule = DEFAULT_SIZE_RULE;
  assert.equal(bucketOfArea(1023.99, rule), 0);
  assert.equal(bucketOfArea(1024, rule), 1);
  assert.equal(bucketOfArea(9215.5, rule), 1);
  assert.equal(bucketOfArea(9216, rule), 2);
  assert.equal(sizeBucketFromBbox(32, 32, rule), 1);
  assert.equal(sizeBucketFromBbox(31.9, 32, rule), 0);
  assert.equal(sizeBucketFromBbox(0.99, 500, rule), NO_BUCKET);
  assert.equal(sizeBucketFromBbox(500, 0.5, rule), NO_BUCKET);
  assert.equal(sizeBucketFromBbox(1, 1, rule), 0);
});

test('compute_tier_stats counts categories, annotations and images per tier', () => {
  const s = computeTierStats(handDataset());
  assert.deepEqual(s.classes, { f: 2, c: 1, r: 2 });
  assert.deepEqual(s.annotations, { f: 4, c: 1, r: 4 });
  // f: images 10, 20, 30; c: 10; r: 20, 30 (the degenerate box still counts: stats see every annotation).
  assert.deepEqual(s.images, { f: 3, c: 1, r: 2 });
  assert.deepEqual(s.totals, { classes: 5, annotations: 9, images: 4, imagesWithAnnotations: 3 });
});

test('_cat_meta tiers: category indices per tier', () => {
  assert.deepEqual(categoriesByTier(handDataset()), [[0, 1], [2], [3, 4]]);
});

test('compute_target_tier_mix blends annotation and class shares with alpha', () => {
  // ann shares f .6 c .3 r .1; class shares f .5 c .25 r .25.
  const m = computeTargetTierMix({ f: 2, c: 1, r: 1 }, { f: 6, c: 3, r: 1 }, 0.6);
  near(m.mix.f, 0.6 * 0.6 + 0.4 * 0.5);
  near(m.mix.c, 0.6 * 0.3 + 0.4 * 0.25);
  near(m.mix.r, 0.6 * 0.1 + 0.4 * 0.25);
  near(m.mix.f + m.mix.c + m.mix.r, 1);
  const pureClass = computeTargetTierMix({ f: 2, c: 1, r: 1 }, { f: 6, c: 3, r: 1 }, 0);
  assert.deepEqual(pureClass.mix, { f: 0.5, c: 0.25, r: 0.25 });
});

test('compute_target_tier_mix rejects a dataset without annotations', () => {
  assert.throws(() => computeTargetTierMix({ f: 1, c: 0, r: 0 }, { f: 0, c: 0, r: 0 }, 0.6), DiagnosticError);
});

test('score_classsize is the variance of the per-key ratios', () => {
  // r = [0.5, 0.5, 0], mean 1/3, deviations 1/6, 1/6, −1/3 → (1/36 + 1/36 + 4/36) / 3 = 1/18.
  near(scoreClassSize([1, 2, 0], [2, 4, 1]), 1 / 18);
  assert.equal(scoreClassSize([2, 4, 6], [1, 2, 3]), 0);
  assert.equal(scoreClassSize([], []), 0);
});

test('tier_mix_penalty is the mean squared share error; 0 for an empty subset', () => {
  // shares .75 .25 0 vs .5 .3 .2 → (.0625 + .0025 + .04) / 3.
  near(tierMixPenalty([3, 1, 0], [0.5, 0.3, 0.2], 4), 0.105 / 3);
  assert.equal(tierMixPenalty([0, 0, 0], [0.5, 0.3, 0.2], 0), 0);
});

test('rare_cap_penalty sums the overage of classes with a quota', () => {
  assert.equal(rareCapPenalty([3, 9, 1, 0], Int32Array.from([2, -1, 0, 0])), 2);
  assert.equal(rareCapPenalty([1, 1], Int32Array.from([2, 1])), 0);
});

test('estimate_rare_quotas: min(rare_cap, images), then rescaled with floor', () => {
  const ds = makeDataset({
    categories: [
      { id: 1, tier: 'f' },
      { id: 7, tier: 'r' },
      { id: 8, tier: 'r' },
      { id: 9, tier: 'r' }, // no annotations: no quota
    ],
    images: [{ id: 1 }, { id: 2 }, { id: 3 }],
    annotations: [
      { image: 1, category: 7, bbox: [0, 0, 5, 5] },
      { image: 1, category: 7, bbox: [0, 0, 5, 5] },
      { image: 2, category: 7, bbox: [0, 0, 5, 5] },
      { image: 3, category: 7, bbox: [0, 0, 5, 5] },
      { image: 3, category: 7, bbox: [0, 0, 5, 5] }, // class 7: 5 annotations in 3 images
      { image: 2, category: 8, bbox: [0, 0, 5, 5] },
      { image: 2, category: 8, bbox: [0, 0, 5, 5] }, // class 8: 2 annotations in 1 image
      { image: 1, category: 1, bbox: [0, 0, 5, 5] },
    ],
  });
  const q = estimateRareQuotas(ds, 2, 'budget');
  assert.deepEqual(q.categoryId, [7, 8]);
  assert.deepEqual(q.annotations, [5, 2]);
  assert.deepEqual(q.images, [3, 1]);
  assert.deepEqual(q.capped, [2, 1]);
  assert.deepEqual(estimateRareQuotas(ds, 5, 'budget').capped, [3, 1]);
  // Σ = 3: target 6 → scale 2 → [4, 2]; target 2 → scale 2/3 → [floor(1.33), floor(0.67)] = [1, 0].
  assert.deepEqual(rescaleQuotas([2, 1], 6), [4, 2]);
  assert.deepEqual(rescaleQuotas([2, 1], 2), [1, 0]);
  assert.deepEqual(rescaleQuotas([0, 0], 5), [0, 0]);
  // Per category index; 'budget' uses the rare budget given, a number overrides it.
  assert.deepEqual(Array.from(finalRareQuotas(q, 4, 6)), [-1, 4, 2, -1]);
  assert.deepEqual(Array.from(finalRareQuotas({ ...q, target: 2 }, 4, 600)), [-1, 1, 0, -1]);
});

test('tier budgets: Python rounding (half to even), r takes the rest, never negative', () => {
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(3.5), 4);
  assert.equal(roundHalfEven(2.4999), 2);
  assert.equal(roundHalfEven(2.6), 3);
  // TIERS order f, c, r: c = round(2.8) = 3, f = round(5.6) = 6, r = 1.
  assert.deepEqual(Array.from(tierBudgets({ f: 0.56, c: 0.28, r: 0.16 }, 10)), [6, 3, 1]);
  // c = round(2.5) = 2, f = round(4.5) = 4, r = 4.
  assert.deepEqual(Array.from(tierBudgets({ f: 0.45, c: 0.25, r: 0.3 }, 10)), [4, 2, 4]);
  // No rare tier: c = round(3.5) = 4, f = round(1.5) = 2, r = −1 → 0, taken from the larger (c).
  assert.deepEqual(Array.from(tierBudgets({ f: 0.3, c: 0.7, r: 0 }, 5)), [2, 3, 0]);
});

test('reference histograms and per-image bins (bbox w·h)', () => {
  const ds = handDataset();
  const h = buildHistograms(ds, DEFAULT_SIZE_RULE);
  const labels = Array.from({ length: h.keyCategory.length }, (_, k) => keyLabel(h, k, ds.categories.id));
  // Keys ordered by tier (f, c, r), then category, then size.
  assert.deepEqual(labels, ['1_S', '1_M', '2_L', '3_M', '4_M', '4_L', '5_S']);
  assert.deepEqual(Array.from(h.ref), [2, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([0, 1, 2].map((t) => tierKeyCount(h, t)), [3, 1, 3]);
  assert.equal(h.unbucketed, 1);
  const row = (i: number) =>
    Array.from(h.binKey.subarray(h.binOffsets[i]!, h.binOffsets[i + 1]!), (k, j) => `${labels[k]}×${h.binCount[h.binOffsets[i]! + j]}`);
  assert.deepEqual(row(0), ['1_S×2', '3_M×1']);
  assert.deepEqual(row(1), ['2_L×1', '4_M×1']);
  assert.deepEqual(row(2), ['1_M×1', '4_L×1', '5_S×1']);
  assert.deepEqual(row(3), []);
  // Tier masks: bit 0 f, 1 c, 2 r.
  assert.deepEqual(Array.from(h.imageTierMask), [0b011, 0b101, 0b101, 0]);

  const dense = densifyTier(h, 2, [0, 1, 2]);
  assert.deepEqual(Array.from(dense.refCounts), [1, 1, 1]);
  assert.deepEqual(Array.from(dense.X), [0, 0, 0, 1, 0, 0, 0, 1, 1]);
});

test('histograms with size_from: area use the area field and keep degenerate boxes', () => {
  const ds = handDataset(9215); // annotation 301: area just under 96² → M
  const h = buildHistograms(ds, { ...DEFAULT_SIZE_RULE, sizeFrom: 'area' });
  const labels = Array.from({ length: h.keyCategory.length }, (_, k) => keyLabel(h, k, ds.categories.id));
  // 203 (0.5 × 40, area 20) is now an S object of class 4; 301 is M.
  assert.deepEqual(labels, ['1_S', '1_M', '2_L', '3_M', '4_S', '4_M', '5_S']);
  assert.deepEqual(Array.from(h.ref), [2, 1, 1, 1, 1, 2, 1]);
  assert.equal(h.unbucketed, 0);
});

test('size_from: area with a missing area field is a data error naming the annotation', () => {
  const ds = handDataset(NaN);
  assert.throws(
    () => buildHistograms(ds, { ...DEFAULT_SIZE_RULE, sizeFrom: 'area' }),
    (e: unknown) =>
      e instanceof DiagnosticError &&
      e.diagnostics.length === 1 &&
      /annotation id 301 has no "area" field/.test(e.diagnostics[0]!.message) &&
      e.diagnostics[0]!.location?.file === displayPath(ds.source.path),
  );
  // bbox mode does not need the field.
  assert.equal(buildHistograms(ds, DEFAULT_SIZE_RULE).keyCategory.length, 7);
  // Many missing: the first five by id, then how many more.
  const many = makeDataset({
    categories: [{ id: 1, tier: 'f' }],
    images: [{ id: 10 }],
    annotations: Array.from({ length: 8 }, (_, k) => ({ id: 500 + k, image: 10, category: 1, bbox: [0, 0, 5, 5] as [number, number, number, number], area: NaN })),
  });
  assert.throws(
    () => buildHistograms(many, { ...DEFAULT_SIZE_RULE, sizeFrom: 'area' }),
    (e: unknown) =>
      e instanceof DiagnosticError &&
      e.diagnostics.length === 6 &&
      e.diagnostics.slice(0, 5).every((d, k) => d.message.startsWith(`annotation id ${500 + k} has no "area" field`)) &&
      e.diagnostics[5]!.message === '… and 3 more annotations without "area"',
  );
});

test('Jensen–Shannon divergence in bits', () => {
  // p = [.5, .5], q = [1, 0], m = [.75, .25]:
  // ½(.5 log2(.5/.75) + .5 log2(.5/.25)) + ½(1 · log2(1/.75)).
  const expected = 0.5 * (0.5 * Math.log2(0.5 / 0.75) + 0.5 * Math.log2(2)) + 0.5 * Math.log2(1 / 0.75);
  near(jsDivergence([1, 1], [1, 0]), expected);
  near(jsDivergence([3, 1, 0], [6, 2, 0]), 0);
  near(jsDivergence([1, 0], [0, 1]), 1);
  assert.equal(jsDivergence([1, 2], [0, 0]), 1);
});

test('JS divergence splits exactly into between-tier and within-tier parts', () => {
  // Same within-group shapes, different group shares: everything is between groups.
  // a = [1, 1 | 2, 2] (groups ½, ½), b = [3, 3 | 1, 1] (¾, ¼).
  let d = jsDecomposition([1, 1, 2, 2], [3, 3, 1, 1], [0, 0, 1, 1], 2);
  near(d.between, jsDivergence([2, 4], [6, 2]));
  near(d.within[0]!, 0);
  near(d.within[1]!, 0);
  near(d.total, jsDivergence([1, 1, 2, 2], [3, 3, 1, 1]));
  // Same group shares, different shape inside group 0 only: nothing between groups, and group
  // 0's part is by hand ½·½·JS-summands of [1,0] vs [½,½] inside a group of mass ½:
  // a = [2, 0 | 1, 1], b = [1, 1 | 1, 1] → p = [½, 0, ¼, ¼], q = [¼, ¼, ¼, ¼].
  d = jsDecomposition([2, 0, 1, 1], [1, 1, 1, 1], [0, 0, 1, 1], 2);
  near(d.between, 0);
  near(d.within[1]!, 0);
  const m0 = 0.375;
  const m1 = 0.125;
  near(d.within[0]!, 0.5 * (0.5 * Math.log2(0.5 / m0)) + 0.5 * (0.25 * Math.log2(0.25 / m0) + 0.25 * Math.log2(0.25 / m1)));
  near(d.total, jsDivergence([2, 0, 1, 1], [1, 1, 1, 1]));
  // Random vectors, three groups, zeros included: the parts add up to the total, all ≥ 0.
  const rng = new SeededRandom(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 3 + rng.int(40);
    const a = Array.from({ length: n }, () => (rng.int(4) === 0 ? 0 : rng.int(1000)));
    const b = Array.from({ length: n }, () => (rng.int(5) === 0 ? 0 : rng.int(50)));
    const g = Array.from({ length: n }, () => rng.int(3));
    d = jsDecomposition(a, b, g, 3);
    near(d.between + d.within[0]! + d.within[1]! + d.within[2]!, jsDivergence(a, b), 1e-9);
    assert.ok(d.between >= 0 && d.within.every((w) => w >= 0));
  }
  // Empty sides, as jsDivergence.
  assert.deepEqual(jsDecomposition([0, 0], [0, 0], [0, 1], 2), { between: 0, within: [0, 0], total: 0 });
  assert.equal(jsDecomposition([1, 0], [0, 0], [0, 1], 2).between, 1);
});
