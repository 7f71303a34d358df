/**
 * The two-thread scan: the guessed split point, the join, and the fallback when the guess is
 * wrong, all compared with the one-thread result.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { loadDataset } from '../src/lvis/load/load.js';
import { findRecordBoundary } from '../src/lvis/load/parallel.js';
import { diagnosticOf, pythonStyle, smallLvis, tempFile, type Doc } from './load-helpers.js';

/** A document with the annotations first (as LVIS v1 train has them) and some bad records. */
function bigDoc(images: number): Doc {
  const d = smallLvis(images);
  return { info: d.info, annotations: d.annotations, images: d.images, licenses: d.licenses, categories: d.categories };
}

async function bothWays(path: string) {
  const one = await loadDataset(path, { parallel: false });
  const two = await loadDataset(path, { parallel: true });
  return { one, two };
}

test('a split near the middle lands on a real record boundary, and the halves join to the one-thread result', async () => {
  const doc = bigDoc(6000);
  const path = tempFile(pythonStyle(doc));
  const size = statSync(path).size;
  const split = await findRecordBoundary(path, Math.floor(size / 2));
  const { one, two } = await bothWays(path);
  assert.ok(split, 'a boundary is found');
  assert.equal(split.array, 'annotations');
  assert.ok(Array.from(one.dataset.annotations.byteStart).includes(split.offset), 'the guess is the start of a real annotation');
  assert.equal(two.threads, 2);
  assert.deepEqual({ ...two, threads: 1 }, one);
  assert.equal(two.dataset.annotations.count, doc.annotations.length);
});

test('a split inside the images array (COCO order) joins correctly too', async () => {
  const d = smallLvis(20000);
  d.annotations = d.annotations.slice(0, 50);
  const path = tempFile(JSON.stringify({ images: d.images, annotations: d.annotations, categories: d.categories }, null, 1));
  const split = await findRecordBoundary(path, Math.floor(statSync(path).size / 2));
  assert.equal(split?.array, 'images');
  const { one, two } = await bothWays(path);
  assert.equal(two.threads, 2);
  assert.deepEqual({ ...two, threads: 1 }, one);
});

test('a wrong guess (a nested object that parses as a record) falls back to one thread with the same result', async () => {
  const doc = bigDoc(3000);
  // Every annotation carries objects that look exactly like image records.
  for (const a of doc.annotations) a.attributes = Array.from({ length: 30 }, (_, k) => ({ id: k, width: 10, height: 10 }));
  const path = tempFile(pythonStyle(doc));
  const split = await findRecordBoundary(path, Math.floor(statSync(path).size / 2));
  const { one, two } = await bothWays(path);
  assert.ok(split, 'a candidate is found');
  assert.equal(Array.from(one.dataset.annotations.byteStart).includes(split.offset), false, 'the guess is inside a record');
  assert.equal(two.threads, 1, 'the first thread read on to the end');
  assert.deepEqual(two, one);
});

test('bad records in both halves are all reported, numbered from the start of the file', async () => {
  const doc = bigDoc(4000);
  const n = doc.annotations.length;
  for (const k of [3, n - 5]) doc.annotations[k]!.bbox = [1, 2, 3, -4];
  doc.images[3990]!.width = 0;
  const path = tempFile(pythonStyle(doc));
  const errs = await Promise.all([false, true].map((parallel) => diagnosticOf(loadDataset(path, { parallel }))));
  const messages = errs.map((e) => e.diagnostics.map((d) => d.message.split('\n')[0]));
  assert.deepEqual(messages[1], messages[0]);
  assert.deepEqual(messages[0], [
    `annotation id=4 (#3), field "bbox": bbox[3] is -4, expected a finite number ≥ 0`,
    `annotation id=${n - 4} (#${n - 5}), field "bbox": bbox[3] is -4, expected a finite number ≥ 0`,
    'image id=4090 (#3990), field "width": is 0, expected a finite number > 0',
  ]);
});

test('a syntax error in the second half is reported exactly as in one thread', async () => {
  const text = pythonStyle(bigDoc(4000));
  const at = Math.floor(text.length * 0.8);
  const cut = text.indexOf('"bbox": [', at) + '"bbox": ['.length;
  const broken = text.slice(0, cut) + '1.5.5, ' + text.slice(cut);
  const path = tempFile(broken);
  const [a, b] = await Promise.all([false, true].map((parallel) => diagnosticOf(loadDataset(path, { parallel }))));
  assert.deepEqual(b.diagnostics, a.diagnostics);
  assert.equal(a.diagnostics[0]!.location?.offset, cut + 3);
});

test('files under the size threshold are never split', async () => {
  const { parallelWorthIt, PARALLEL_MIN_BYTES } = await import('../src/lvis/load/parallel.js');
  assert.equal(await parallelWorthIt(PARALLEL_MIN_BYTES - 1), false);
  const small = await loadDataset(tempFile(pythonStyle(bigDoc(50))));
  assert.equal(small.threads, 1);
});
