/**
 * Loading the real LVIS and COCO samples in test/fixtures/real, checked record by record against
 * JSON.parse of the same files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { TIERS, type Dataset } from '../src/lvis/dataset/dataset.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { tempFile } from './load-helpers.js';

const REAL = fileURLToPath(new URL('../../test/fixtures/real/', import.meta.url));

interface Json {
  images: Record<string, any>[];
  annotations: Record<string, any>[];
  categories: Record<string, any>[];
  [k: string]: unknown;
}

/** Checks every field of the dataset against the parsed JSON and the source bytes. */
function checkAgainstJson(ds: Dataset, bytes: Buffer, json: Json): void {
  const { categories: C, images: I, annotations: A } = ds;
  assert.equal(C.count, json.categories.length);
  assert.equal(I.count, json.images.length);
  assert.equal(A.count, json.annotations.length);
  assert.deepEqual(ds.topLevelOrder, Object.keys(json));
  const extraKeys = Object.keys(json).filter((k) => !['images', 'annotations', 'categories'].includes(k));
  assert.deepEqual(
    ds.extra.map((e) => e.key),
    extraKeys,
  );
  for (const e of ds.extra) assert.deepEqual(JSON.parse(e.raw), json[e.key]);

  const catIndex = new Map(json.categories.map((c, k) => [c.id as number, k]));
  json.categories.forEach((c, k) => {
    assert.equal(C.id[k], c.id);
    assert.equal(C.name[k], c.name);
    assert.deepEqual(JSON.parse(C.raw[k]!), c);
    assert.equal(Number.isNaN(C.imageCount[k]!) ? undefined : C.imageCount[k], c.image_count);
    assert.equal(Number.isNaN(C.instanceCount[k]!) ? undefined : C.instanceCount[k], c.instance_count);
  });

  const imgIndex = new Map(json.images.map((im, i) => [im.id as number, i]));
  json.images.forEach((im, i) => {
    assert.equal(I.id[i], im.id);
    assert.equal(I.width[i], im.width);
    assert.equal(I.height[i], im.height);
    assert.deepEqual(JSON.parse(bytes.toString('utf8', I.byteStart[i]!, I.byteEnd[i]!)), im);
    const list = (csr: { offsets: Int32Array; values: Int32Array }) => Array.from(csr.values.subarray(csr.offsets[i]!, csr.offsets[i + 1]!), (c) => C.id[c]);
    assert.deepEqual(list(I.negCategories), im.neg_category_ids ?? []);
    assert.deepEqual(list(I.notExhaustiveCategories), im.not_exhaustive_category_ids ?? []);
    const annIds = Array.from(I.annIndex.subarray(I.annOffsets[i]!, I.annOffsets[i + 1]!), (k) => A.id[k]);
    assert.deepEqual(
      annIds,
      json.annotations.filter((a) => a.image_id === im.id).map((a) => a.id),
    );
  });

  json.annotations.forEach((a, k) => {
    assert.equal(A.id[k], a.id);
    assert.equal(A.image[k], imgIndex.get(a.image_id));
    assert.equal(A.category[k], catIndex.get(a.category_id));
    assert.deepEqual(Array.from(A.bbox.subarray(4 * k, 4 * k + 4)), a.bbox);
    assert.equal(A.area[k], a.area);
    assert.equal(A.iscrowd[k], a.iscrowd ?? 0);
    assert.deepEqual(JSON.parse(bytes.toString('utf8', A.byteStart[k]!, A.byteEnd[k]!)), a);
  });
}

/** LVIS's rule on distinct images per category, computed from the parsed JSON. */
function expectedDerivedTiers(json: Json): string[] {
  const images = new Map<number, Set<number>>();
  for (const a of json.annotations) {
    if (!images.has(a.category_id)) images.set(a.category_id, new Set());
    images.get(a.category_id)!.add(a.image_id);
  }
  return json.categories.map((c) => {
    const n = images.get(c.id)?.size ?? 0;
    return n > 100 ? 'f' : n > 10 ? 'c' : 'r';
  });
}

test('LVIS v0.5 val sample: every record matches JSON.parse, tiers come from the file', async () => {
  const path = REAL + 'lvis_val_100.json';
  const bytes = readFileSync(path);
  const json = JSON.parse(bytes.toString('utf8')) as Json;
  const { dataset: ds, imagesWithoutAnnotations } = await loadDataset(path);
  checkAgainstJson(ds, bytes, json);
  // The fixture's documented shape (test/fixtures/real/README.md).
  assert.deepEqual([ds.images.count, ds.annotations.count, ds.categories.count], [100, 977, 1230]);
  assert.equal(ds.source.format, 'lvis');
  assert.equal(ds.source.tiersDerived, false);
  assert.equal(ds.source.textBytes, bytes.length);
  assert.deepEqual(
    Array.from(ds.categories.tier, (t) => TIERS[t]),
    json.categories.map((c) => c.frequency),
  );
  const withAnnotations = new Set(json.annotations.map((a) => a.image_id));
  assert.equal(imagesWithoutAnnotations, json.images.filter((im) => !withAnnotations.has(im.id)).length);
  assert.ok(imagesWithoutAnnotations > 0, 'the sample has images without annotations');
  assert.ok(json.images.some((im) => im.neg_category_ids.length > 0));
});

for (const [file, images, annotations, crowd] of [
  ['instances_val2014_100.json', 100, 839, 9],
  ['instances_val2017_small.json', 3, 34, 1],
] as const) {
  test(`COCO sample ${file}: records match JSON.parse, crowd RLE kept, tiers derived from image counts`, async () => {
    const path = REAL + file;
    const bytes = readFileSync(path);
    const json = JSON.parse(bytes.toString('utf8')) as Json;
    const { dataset: ds } = await loadDataset(path);
    checkAgainstJson(ds, bytes, json);
    assert.deepEqual([ds.images.count, ds.annotations.count, ds.categories.count], [images, annotations, 80]);
    assert.equal(ds.annotations.iscrowd.reduce((s, x) => s + x, 0), crowd);
    assert.equal(ds.source.format, 'coco');
    assert.equal(ds.source.tiersDerived, true);
    assert.deepEqual(
      Array.from(ds.categories.tier, (t) => TIERS[t]),
      expectedDerivedTiers(json),
    );
  });
}

test('gzip input and tiny read windows give the same dataset as the plain file', async () => {
  const path = REAL + 'instances_val2014_100.json';
  const plain = (await loadDataset(path)).dataset;
  const gz = tempFile(gzipSync(readFileSync(path)), '.json.gz');
  for (const [p, windowBytes] of [
    [gz, undefined],
    [gz, 100],
    [path, 64],
    [path, 3000],
  ] as const) {
    const other = (await loadDataset(p, windowBytes === undefined ? {} : { windowBytes })).dataset;
    assert.equal(other.source.encoding, p === gz ? 'gzip' : 'plain');
    assert.deepEqual({ ...other, source: { ...other.source, path: '', encoding: 'plain' } }, { ...plain, source: { ...plain.source, path: '', encoding: 'plain' } });
  }
});

test('strict mode reads the real files to the same result', async () => {
  for (const file of ['lvis_val_100.json', 'instances_val2017_small.json']) {
    const fast = (await loadDataset(REAL + file)).dataset;
    const strict = (await loadDataset(REAL + file, { strict: true })).dataset;
    assert.deepEqual(strict, fast);
  }
});
