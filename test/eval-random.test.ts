/**
 * The fast evaluator against a plain port of the LVIS API (eval-reference.ts) on random
 * seeded datasets built to hit ties, range boundaries, the 300 cut and federated lists; and
 * the property the pipeline relies on: evaluating a category-pruned GT/detections pair gives
 * the full pair's per-category APs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetectionColumns } from '../src/lvis/eval/detections.js';
import { evaluateBoxes } from '../src/lvis/eval/evaluate.js';
import type { Scored } from './eval-helpers.js';
import { buildGtIndex } from '../src/lvis/eval/gt-index.js';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import { generate, rng, type GenDet, type GenGt } from './eval-gen.js';
import { referenceEvaluate } from './eval-reference.js';

async function fast(gt: GenGt, dets: GenDet[]): Promise<Scored> {
  const index = buildGtIndex(gt);
  const r = await evaluateBoxes(index, DetectionColumns.fromJson(index, dets));
  assert.ok(r.metrics, 'there are detections');
  return r as Scored;
}

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${what}: ${actual} vs ${expected}`);
}

test('matches a plain port of the LVIS API on 60 random datasets, to 1e-12', async () => {
  const seen = { crowded: 0, ties: 0, undefinedMetric: 0, noGtCategory: 0 };
  for (let seed = 1; seed <= 60; seed++) {
    const { gt, dets } = generate(seed);
    const ours = await fast(gt, dets);
    const ref = referenceEvaluate(gt, dets);
    for (const m of METRIC_NAMES) assertClose(ours.metrics[m], ref.metrics[m]!, `seed ${seed} ${m}`);
    for (const c of ours.perCategory) assertClose(c.ap, ref.perCategory.get(c.id)!, `seed ${seed} category ${c.id}`);
    if (ours.notes.some((n) => /more than 300/.test(n))) seen.crowded++;
    if (new Set(dets.map((d) => d.score)).size < dets.length) seen.ties++;
    if (METRIC_NAMES.some((m) => ours.metrics[m] === -1)) seen.undefinedMetric++;
    if (ours.perCategory.some((c) => c.ap === -1)) seen.noGtCategory++;
  }
  // The data really exercises what it is meant to.
  assert.ok(seen.crowded >= 10 && seen.ties >= 50 && seen.undefinedMetric >= 10 && seen.noGtCategory >= 5, JSON.stringify(seen));
});

test('larger random datasets (40 images, 20 categories) match the port too', async () => {
  for (let seed = 1000; seed < 1005; seed++) {
    const { gt, dets } = generate(seed, { images: 40, categories: 20 });
    const ours = await fast(gt, dets);
    const ref = referenceEvaluate(gt, dets);
    for (const m of METRIC_NAMES) assertClose(ours.metrics[m], ref.metrics[m]!, `seed ${seed} ${m}`);
  }
});

/** The pair restricted to `keep` categories, as prune-gt / prune-preds make it. */
function prune(gt: GenGt, dets: GenDet[], keep: Set<number>): { gt: GenGt; dets: GenDet[] } {
  return {
    gt: {
      images: gt.images.map((im) => ({
        id: im.id,
        neg_category_ids: im.neg_category_ids.filter((c) => keep.has(c)),
        not_exhaustive_category_ids: im.not_exhaustive_category_ids.filter((c) => keep.has(c)),
      })),
      annotations: gt.annotations.filter((a) => keep.has(a.category_id)),
      categories: gt.categories.filter((c) => keep.has(c.id)),
    },
    dets: dets.filter((d) => keep.has(d.category_id)),
  };
}

const meanOf = (xs: number[]) => {
  const v = xs.filter((x) => x > -1);
  return v.length === 0 ? -1 : v.reduce((s, x) => s + x, 0) / v.length;
};

test('a category-pruned pair scores the full pair\'s per-category APs (no image over 300 detections)', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const { gt, dets } = generate(seed, { crowdedShare: 0, categories: 8 });
    const r = rng(seed * 7919);
    const keep = new Set(gt.categories.map((c) => c.id).filter(() => r() < 0.5));
    const full = await fast(gt, dets);
    const pruned = prune(gt, dets, keep);
    const part = await fast(pruned.gt, pruned.dets);
    const fullKept = full.perCategory.filter((c) => keep.has(c.id));
    assert.deepEqual(part.perCategory.map((c) => c.id), fullKept.map((c) => c.id));
    for (const [i, c] of part.perCategory.entries()) assertClose(c.ap, fullKept[i]!.ap, `seed ${seed} category ${c.id}`);
    assertClose(part.metrics.AP, meanOf(fullKept.map((c) => c.ap)), `seed ${seed} AP`);
    for (const [m, f] of [['APr', 'r'], ['APc', 'c'], ['APf', 'f']] as const) {
      assertClose(part.metrics[m], meanOf(fullKept.filter((c) => c.frequency === f).map((c) => c.ap)), `seed ${seed} ${m}`);
    }
  }
});

test('with more than 300 detections on an image, pruning categories can change the others\' AP (the cut is across categories)', async () => {
  const box = [0, 0, 10, 10];
  const gt: GenGt = {
    images: [{ id: 1, neg_category_ids: [], not_exhaustive_category_ids: [] }],
    annotations: [
      { id: 1, image_id: 1, category_id: 1, bbox: box, area: 100 },
      { id: 2, image_id: 1, category_id: 2, bbox: box, area: 100 },
    ],
    categories: [
      { id: 1, name: 'a', frequency: 'f' },
      { id: 2, name: 'b', frequency: 'f' },
    ],
  };
  const dets: GenDet[] = [
    ...Array.from({ length: 300 }, (_, i) => ({ image_id: 1, category_id: 2, bbox: [20 + i, 20, 5, 5], score: 0.9 })),
    { image_id: 1, category_id: 1, bbox: box, score: 0.5 },
  ];
  const full = await fast(gt, dets);
  const pruned = prune(gt, dets, new Set([1]));
  const part = await fast(pruned.gt, pruned.dets);
  assert.equal(full.perCategory[0]!.ap, 0);
  assertClose(part.perCategory[0]!.ap, 1, 'pruned');
});
