/** Bad input to the evaluator: each problem is a DiagnosticError naming the record and what was expected. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { DetectionColumns } from '../src/lvis/eval/detections.js';
import { evaluateBoxes } from '../src/lvis/eval/evaluate.js';
import { buildGtIndex } from '../src/lvis/eval/gt-index.js';
import { makeGt } from './eval-helpers.js';

const gt = () => buildGtIndex(makeGt([{ id: 7 }, { id: 3 }], [{ image: 7, cat: 1, bbox: [0, 0, 10, 10] }], [{ id: 1 }, { id: 2 }]));
const good = { image_id: 7, category_id: 1, bbox: [0, 0, 10, 10], score: 0.5 };

function rejects(list: unknown, pattern: RegExp): void {
  assert.throws(
    () => DetectionColumns.fromJson(gt(), list),
    (err: unknown) => {
      assert.ok(err instanceof DiagnosticError, String(err));
      assert.match(err.message, pattern);
      assert.equal(err.exitCode, 1);
      return true;
    },
  );
}

test('a detection for an image not in the GT is an error naming its index', () => {
  rejects([good, { ...good, image_id: 99 }], /detection #1: "image_id" 99 is not an image of the GT/);
});

test('a detection of a category the GT does not have is left out with a note, as the LVIS API leaves it out (issue 25)', async () => {
  const index = gt();
  const cols = DetectionColumns.fromJson(index, [good, { ...good, category_id: 5 }]);
  assert.equal(cols.length, 2);
  assert.equal(cols.unknownCategories, 1);
  const res = await evaluateBoxes(index, cols);
  assert.ok(Math.abs(res.metrics!.AP - 1) < 1e-12);
  assert.ok(res.notes.some((n) => /^1 detection\(s\) of categories that the GT does not have were left out/.test(n)), res.notes.join('\n'));
});

test('such a detection still takes its place among an image\'s 300 (LVISResults cuts before the API drops it)', async () => {
  const index = gt();
  const unknown = Array.from({ length: 300 }, () => ({ ...good, category_id: 5, score: 0.9 }));
  const res = await evaluateBoxes(index, DetectionColumns.fromJson(index, [...unknown, { ...good, score: 0.5 }]));
  assert.equal(res.metrics!.AP, 0, 'the one good detection was cut');
});

test('a bbox that is not 4 finite numbers is an error saying what is expected', () => {
  rejects([{ ...good, bbox: [0, 0, 10] }], /detection #0: "bbox" must be 4 finite numbers \[x, y, w, h\], found \[0,0,10\]/);
  rejects([{ ...good, bbox: [0, 0, '10', 10] }], /detection #0: "bbox" must be 4 finite numbers/);
  rejects([{ ...good, bbox: [0, 0, Infinity, 10] }], /detection #0: "bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, 0, Infinity, 10\]/);
  rejects([{ ...good, bbox: [0, 0, -1, 10] }], /detection #0: "bbox" width and height must be >= 0/);
  rejects([{ ...good, bbox: undefined }], /detection #0: "bbox" must be 4 finite numbers \[x, y, w, h\], found nothing/);
});

test('a missing or non-finite score, a non-object element, a non-array list are errors', () => {
  rejects([{ ...good, score: NaN }], /detection #0: "score" must be a finite number, found NaN/);
  rejects([{ ...good, score: '0.5' }], /detection #0: "score" must be a number, found "0.5"/);
  rejects([good, 42], /detection #1: expected an object/);
  rejects({ detections: [] }, /the results must be a JSON array/);
});

test('every bad detection is counted; the first ten are listed', () => {
  const list = Array.from({ length: 25 }, (_, i) => ({ ...good, image_id: 1000 + i }));
  assert.throws(
    () => DetectionColumns.fromJson(gt(), list),
    (err: unknown) => {
      assert.ok(err instanceof DiagnosticError);
      assert.equal(err.diagnostics.length, 11);
      assert.match(err.diagnostics[10]!.message, /… and 15 more bad record\(s\) \(25 in all\)/);
      return true;
    },
  );
});

test('add() returns the problem (for the caller to locate) and keeps only good detections; evaluation refuses while any is bad', async () => {
  const index = gt();
  const cols = new DetectionColumns(index, 1);
  assert.equal(cols.add(7, 1, 0, 0, 10, 10, 0.9), undefined);
  assert.deepEqual(cols.add(7, 1, 0, 0, NaN, 10, 0.9), { kind: 'detection', index: 1, message: '"bbox" must be 4 finite numbers [x, y, w, h], found [0, 0, NaN, 10]' });
  assert.deepEqual(cols.reject('"bbox" is missing'), { kind: 'detection', index: 2, message: '"bbox" is missing' });
  assert.equal(cols.add(3, 2, 1, 2, 3, 4, 0.1), undefined);
  assert.equal(cols.length, 2);
  assert.equal(cols.seen, 4);
  const data = cols.data();
  assert.deepEqual([...data.image], [1, 0]); // image indices rank ids: 3 -> 0, 7 -> 1
  assert.deepEqual([...data.box], [0, 0, 10, 10, 1, 2, 3, 4]);
  await assert.rejects(evaluateBoxes(index, cols), (err: unknown) => err instanceof DiagnosticError && /detection #1:.*\n.*detection #2: "bbox" is missing/.test(err.message));
});

test('columns grow past their initial capacity without losing values', () => {
  const index = gt();
  const cols = new DetectionColumns(index, 1);
  for (let i = 0; i < 5000; i++) cols.add(i % 2 ? 7 : 3, 1 + (i % 2), i, i + 1, 2, 3, i / 5000);
  const d = cols.data();
  assert.equal(d.count, 5000);
  assert.deepEqual([d.box[4 * 4321], d.box[4 * 4321 + 1], d.score[4321], d.category[4321]], [4321, 4322, 4321 / 5000, 1]);
});

test('bad GT: unknown image or category in an annotation, duplicate ids, a frequency other than r/c/f', () => {
  const base = makeGt([{ id: 1 }], [{ image: 1, cat: 1, bbox: [0, 0, 1, 1] }], [{ id: 1 }]);
  const bad = {
    images: [...base.images, { id: 1, neg_category_ids: [], not_exhaustive_category_ids: [] }],
    annotations: [...base.annotations, { image_id: 2, category_id: 1, bbox: [0, 0, 1, 1], area: 1 }, { image_id: 1, category_id: 9, bbox: [0, 0, 1, 1], area: 1 }],
    categories: [{ id: 1, frequency: 'x' }],
  };
  assert.throws(
    () => buildGtIndex(bad),
    (err: unknown) => {
      assert.ok(err instanceof DiagnosticError);
      const text = err.message;
      assert.match(text, /image #1: duplicate id 1 \(also image #0\)/);
      assert.match(text, /annotation #1: "image_id" 2 is not in "images"/);
      assert.match(text, /annotation #2: "category_id" 9 is not in "categories"/);
      assert.match(text, /category #0: "frequency" is "x"; expected "r", "c" or "f"/);
      return true;
    },
  );
});

test('detections built against another GtIndex are refused; an aborted signal stops the evaluation', async () => {
  const cols = DetectionColumns.fromJson(gt(), [good]);
  await assert.rejects(evaluateBoxes(gt(), cols), /another GtIndex/);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(evaluateBoxes(cols.gt, cols, { signal: ac.signal }), { name: 'AbortError' });
});
