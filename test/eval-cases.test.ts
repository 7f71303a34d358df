/**
 * LVIS box AP on cases small enough to compute by hand; each expected number is derived in
 * the comment above it from the LVIS API's rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxIou } from '../src/lvis/eval/match.js';
import { IOU_THRESHOLDS, METRIC_NAMES, RECALL_THRESHOLDS } from '../src/lvis/eval/params.js';
import { evaluate, evaluateRaw, flatAp, makeGt, type Det, type Gt } from './eval-helpers.js';

// Not exact: the API's precision is tp / (tp + fp + eps), so a perfect 1 can come out as 1 - 1e-16.
const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what} ${actual} != ${expected}`);
const closeAll = (actual: number[], expected: number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => close(a, expected[i]!, `[${i}]`));
};

test('thresholds are numpy.linspace\'s doubles (0.8999999999999999, not 0.9), with 0.50 and 0.75 among them', () => {
  assert.deepEqual([...IOU_THRESHOLDS], [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
  assert.equal(RECALL_THRESHOLDS.length, 101);
  RECALL_THRESHOLDS.forEach((r, i) => assert.equal(r, i * 0.01));
});

test('a perfect detector scores 1 everywhere there is GT, and -1 where a mean has nothing to average', async () => {
  const anns: Gt[] = [
    { image: 1, cat: 1, bbox: [0, 0, 10, 10] }, // small
    { image: 1, cat: 1, bbox: [50, 50, 50, 50] }, // medium
    { image: 2, cat: 2, bbox: [0, 0, 200, 100] }, // large
    { image: 2, cat: 2, bbox: [10, 10, 20, 20] },
  ];
  const gt = makeGt([{ id: 1 }, { id: 2 }], anns, [{ id: 1, frequency: 'r' }, { id: 2, frequency: 'c' }]);
  const res = await evaluate(gt, anns.map((a, i) => ({ image: a.image, cat: a.cat, bbox: a.bbox, score: 1 - i / 10 })));
  for (const m of METRIC_NAMES) close(res.metrics[m], m === 'APf' ? -1 : 1, m);
  assert.deepEqual(Object.keys(res.metrics), [...METRIC_NAMES]);
  assert.deepEqual(
    res.perCategory.map(({ ap, ...rest }) => rest),
    [
      { id: 1, name: 'cat1', frequency: 'r' },
      { id: 2, name: 'cat2', frequency: 'c' },
    ],
  );
  closeAll(res.perCategory.map((c) => c.ap), [1, 1]);
  assert.ok(res.notes.some((n) => /APf/.test(n) && /-1/.test(n)), res.notes.join('\n'));
});

test('no detections: no AP at all (not 0), said in a note', async () => {
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 10, 10] }], [{ id: 1 }, { id: 2 }]);
  const res = await evaluateRaw(gt, []);
  assert.equal(res.metrics, null);
  assert.deepEqual(res.perCategory.map((c) => c.ap), [null, null]);
  assert.ok(res.notes.some((n) => /^warning: there are no detections, so there is no AP/.test(n)), res.notes.join('\n'));
});

test('a duplicate detection is a false positive, which costs AP only when it outranks a true positive', async () => {
  const g1 = [0, 0, 10, 10];
  const g2 = [100, 100, 10, 10];
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: g1 }, { image: 1, cat: 1, bbox: g2 }], [{ id: 1 }]);
  // TP, FP (duplicate of g1), TP: recall .5 .5 1, precision 1 .5 2/3 -> interpolated 1 2/3 2/3:
  // precision 1 at the 51 recall points 0..0.50, 2/3 at the 50 points 0.51..1.
  const dup: Det[] = [
    { image: 1, cat: 1, bbox: g1, score: 0.9 },
    { image: 1, cat: 1, bbox: g1, score: 0.8 },
    { image: 1, cat: 1, bbox: g2, score: 0.7 },
  ];
  close((await evaluate(gt, dup)).metrics.AP, (51 + 50 * (2 / 3)) / 101);
  // Ranked last, the duplicate comes after recall 1 is reached: AP 1.
  close((await evaluate(gt, [dup[0]!, { ...dup[1]!, score: 0.1 }, dup[2]!])).metrics.AP, 1);
});

test('federated: a detection is a false positive on an image that lists its category as negative, and not scored elsewhere', async () => {
  const box = [0, 0, 10, 10];
  const images = [{ id: 1 }, { id: 2, neg: [1] }, { id: 3 }];
  const gt = makeGt(images, [{ image: 1, cat: 1, bbox: box }], [{ id: 1 }]);
  const tp: Det = { image: 1, cat: 1, bbox: box, score: 0.5 };
  // FP ranked first, then the TP: recall 0 1, precision 0 .5 -> interpolated .5 everywhere.
  close((await evaluate(gt, [tp, { image: 2, cat: 1, bbox: box, score: 0.9 }])).metrics.AP, 0.5);
  // Image 3 neither has GT of category 1 nor lists it: the detection is dropped.
  const res = await evaluate(gt, [tp, { image: 3, cat: 1, bbox: box, score: 0.9 }]);
  close(res.metrics.AP, 1);
  assert.ok(res.notes.some((n) => /^1 detection\(s\) were not scored/.test(n)), res.notes.join('\n'));
});

test('an unmatched detection of a not-exhaustive category is ignored, a matched one still counts', async () => {
  const box = [0, 0, 10, 10];
  const far = [200, 200, 10, 10];
  const anns = [{ image: 1, cat: 1, bbox: box }];
  const dets: Det[] = [
    { image: 1, cat: 1, bbox: far, score: 0.9 },
    { image: 1, cat: 1, bbox: box, score: 0.5 },
  ];
  close((await evaluate(makeGt([{ id: 1 }], anns, [{ id: 1 }]), dets)).metrics.AP, 0.5);
  close((await evaluate(makeGt([{ id: 1, notExhaustive: [1] }], anns, [{ id: 1 }]), dets)).metrics.AP, 1);
  // Listed as not exhaustive, the category still needs its GT found.
  close((await evaluate(makeGt([{ id: 1, notExhaustive: [1] }], anns, [{ id: 1 }]), [dets[0]!])).metrics.AP, 0);
});

test('score ties: across images the lower image id ranks first, within an image the earlier detection', async () => {
  const box = [0, 0, 10, 10];
  const far = [200, 200, 10, 10];
  // Image 10 comes first in the file, but the API ranks tied detections by ascending image id.
  const gt = makeGt([{ id: 10 }, { id: 5, neg: [1] }], [{ image: 10, cat: 1, bbox: box }], [{ id: 1 }]);
  const tpOn10: Det = { image: 10, cat: 1, bbox: box, score: 0.5 };
  const fpOn5: Det = { image: 5, cat: 1, bbox: box, score: 0.5 };
  // FP (image 5) before TP (image 10) whatever the file order: AP .5.
  close((await evaluate(gt, [tpOn10, fpOn5])).metrics.AP, 0.5);
  close((await evaluate(gt, [fpOn5, tpOn10])).metrics.AP, 0.5);
  // Same image: results-list order decides.
  const fpOn10: Det = { image: 10, cat: 1, bbox: far, score: 0.5 };
  close((await evaluate(gt, [tpOn10, fpOn10])).metrics.AP, 1);
  close((await evaluate(gt, [fpOn10, tpOn10])).metrics.AP, 0.5);
});

test('more than 300 detections on an image: the lowest-scoring are cut across categories, before federated filtering', async () => {
  const box = [0, 0, 10, 10];
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: box }], [{ id: 1 }, { id: 2 }]);
  // 300 detections of category 2, which image 1 neither has nor lists: never scored, yet they take the places.
  const junk: Det[] = Array.from({ length: 300 }, (_, i) => ({ image: 1, cat: 2, bbox: [i, 100, 5, 5], score: 0.5 }));
  close((await evaluate(gt, [...junk, { image: 1, cat: 1, bbox: box, score: 0.4 }])).metrics.AP, 0);
  close((await evaluate(gt, [...junk, { image: 1, cat: 1, bbox: box, score: 0.6 }])).metrics.AP, 1);
  // A tie at the cut: the earlier in the results list stays.
  close((await evaluate(gt, [...junk, { image: 1, cat: 1, bbox: box, score: 0.5 }])).metrics.AP, 0);
  const res = await evaluate(gt, [{ image: 1, cat: 1, bbox: box, score: 0.5 }, ...junk]);
  close(res.metrics.AP, 1);
  assert.ok(res.notes.some((n) => /1 image\(s\) had more than 300 detections.*1 were not evaluated/.test(n)), res.notes.join('\n'));
  // 300 exactly is not cut.
  close((await evaluate(gt, [...junk.slice(1), { image: 1, cat: 1, bbox: box, score: 0.1 }])).metrics.AP, 1);
});

test('area ranges use the GT area field with both ends inclusive, and the detection box area for unmatched detections', async () => {
  const cats = [{ id: 1 }];
  // A 40x40 box whose area field is exactly 32²: small and medium, not large.
  const edge = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 40, 40], area: 1024 }], cats);
  const res = await evaluate(edge, [{ image: 1, cat: 1, bbox: [0, 0, 40, 40], score: 1 }]);
  closeAll([res.metrics.APs, res.metrics.APm, res.metrics.APl], [1, 1, -1]);
  closeAll([res.metrics['ARs@300'], res.metrics['ARm@300'], res.metrics['ARl@300']], [1, 1, -1]);

  // A small GT, and a higher-scoring unmatched medium-size detection: an FP for "all", ignored for "small".
  const small = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 10, 10] }], cats);
  const r2 = await evaluate(small, [
    { image: 1, cat: 1, bbox: [100, 100, 50, 50], score: 0.9 },
    { image: 1, cat: 1, bbox: [0, 0, 10, 10], score: 0.5 },
  ]);
  close(r2.metrics.AP, 0.5);
  close(r2.metrics.APs, 1);
  assert.equal(r2.metrics.APm, -1);

  // A detection matched to a GT outside the range is ignored, not an FP: the medium GT does
  // not count for "small" and the small one is then found.
  const two = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 10, 10] }, { image: 1, cat: 1, bbox: [100, 100, 50, 50] }], cats);
  const r3 = await evaluate(two, [
    { image: 1, cat: 1, bbox: [100, 100, 50, 50], score: 0.9 },
    { image: 1, cat: 1, bbox: [0, 0, 10, 10], score: 0.5 },
  ]);
  close(r3.metrics.APs, 1);
  close(r3.metrics.APm, 1);
  close(r3.metrics.AP, 1);
});

test('GT with a non-positive area and zero-size detections are left out, as the API does', async () => {
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 10, 10] }, { image: 1, cat: 1, bbox: [50, 50, 10, 10], area: 0 }], [{ id: 1 }]);
  const res = await evaluate(gt, [
    { image: 1, cat: 1, bbox: [0, 0, 10, 0], score: 0.9 },
    { image: 1, cat: 1, bbox: [0, 0, 10, 10], score: 0.5 },
  ]);
  close(res.metrics.AP, 1); // one GT to find, found by the only detection scored
  assert.ok(res.notes.some((n) => /^1 detection\(s\) with a box of zero area/.test(n)), res.notes.join('\n'));
  assert.ok(res.notes.some((n) => /^1 ground-truth annotation/.test(n)), res.notes.join('\n'));
});

test('a category without GT is -1 and left out of every mean; frequency tiers average their own categories', async () => {
  const box = [0, 0, 10, 10];
  const far = [200, 200, 10, 10];
  const images = [{ id: 1, neg: [3] }, { id: 2 }];
  const anns: Gt[] = [
    { image: 1, cat: 1, bbox: box },
    { image: 2, cat: 2, bbox: box },
  ];
  const gt = makeGt(images, anns, [
    { id: 1, frequency: 'r' },
    { id: 2, frequency: 'c' },
    { id: 3, frequency: 'c' },
  ]);
  const res = await evaluate(gt, [
    { image: 1, cat: 1, bbox: box, score: 0.9 }, // category 1: AP 1
    { image: 2, cat: 2, bbox: far, score: 0.9 }, // category 2: FP then TP, AP .5
    { image: 2, cat: 2, bbox: box, score: 0.5 },
    { image: 1, cat: 3, bbox: box, score: 0.9 }, // category 3: no GT, only an FP on a neg image
  ]);
  closeAll(res.perCategory.map((c) => c.ap), [1, 0.5, -1]);
  close(res.metrics.AP, 0.75);
  close(res.metrics.APr, 1);
  close(res.metrics.APc, 0.5);
  assert.equal(res.metrics.APf, -1);
  assert.ok(res.notes.some((n) => /^1 of 3 categories have no ground truth/.test(n)), res.notes.join('\n'));
});

test('IoU is pycocotools\' (no +1 on widths); a match needs IoU >= the threshold', async () => {
  assert.equal(boxIou(Float64Array.of(0, 0, 10, 10), 0, Float64Array.of(5, 0, 10, 10), 0), 50 / 150);
  assert.equal(boxIou(Float64Array.of(0, 0, 10, 10), 0, Float64Array.of(10, 0, 10, 10), 0), 0); // touching
  // IoU exactly .5: matched at threshold .50 only.
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 10, 10] }], [{ id: 1 }]);
  const res = await evaluate(gt, [{ image: 1, cat: 1, bbox: [0, 0, 10, 5], score: 1 }]);
  close(res.metrics.AP50, 1);
  close(res.metrics.AP75, 0);
  close(res.metrics.AP, 0.1);
  close(res.metrics['AR@300'], 0.1);
});

test('greedy matching: of two free GTs with the same IoU the later one is taken', async () => {
  const g1 = [0, 0, 10, 10];
  const g2 = [2, 0, 10, 10];
  const gt = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: g1 }, { image: 1, cat: 1, bbox: g2 }], [{ id: 1 }]);
  // d1 overlaps both at 90/110; taking g2 leaves g1 to d2 (IoU 1). At thresholds .50-.80 both
  // are TPs (AP 1); at .85-.95 d1 matches nothing: FP, TP, recall .5 -> precision .5 up to
  // recall .5 and 0 beyond. Had d1 taken g1, d2 would have failed at .70-.80 too.
  const res = await evaluate(gt, [
    { image: 1, cat: 1, bbox: [1, 0, 10, 10], score: 0.9 },
    { image: 1, cat: 1, bbox: g1, score: 0.8 },
  ]);
  close(res.metrics.AP, (7 * 1 + 3 * flatAp(0.5, 50)) / 10);
  close(res.metrics.AP75, 1);
});
