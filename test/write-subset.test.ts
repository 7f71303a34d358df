import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { DiagnosticError } from '../src/base/diagnostic.js';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import type { Sample } from '../src/lvis/sampler/sample.js';
import { loadDataset } from '../src/lvis/load/load.js';
import writeStep from '../src/steps/write.js';
import keptStep from '../src/steps/kept-categories.js';
import { filesIn, runStep, tempDir } from './write-prune-context.js';

const FIXTURES = new URL('../../test/fixtures/real/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;
const SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/lvis.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true });
ajv.addSchema(SCHEMA);

type Rec = Record<string, unknown> & { id: number };
interface Parsed {
  info?: Record<string, unknown>;
  images: Rec[];
  annotations: Array<Rec & { image_id: number; category_id: number }>;
  categories: Rec[];
  [key: string]: unknown;
}

/** Loads a file as the `load` step does. */
async function load(path: string): Promise<Dataset> {
  return (await loadDataset(path)).dataset;
}

/** A sample artifact as the sampler makes it: `picks` in selection order (not file order). */
function sampleOf(ds: Dataset, picks: number[]): Sample {
  const seen = new Set<number>();
  let annotationCount = 0;
  for (const i of picks) {
    for (let k = ds.images.annOffsets[i]!; k < ds.images.annOffsets[i + 1]!; k++) {
      seen.add(ds.annotations.category[ds.images.annIndex[k]!]!);
      annotationCount++;
    }
  }
  const keptCategoryIndices = [...seen].sort((a, b) => a - b);
  return {
    strategy: 'random',
    seed: 1,
    requestedImages: picks.length,
    imageIndices: picks,
    imageIds: picks.map((i) => ds.images.id[i]!),
    keptCategoryIndices,
    keptCategoryIds: keptCategoryIndices.map((c) => ds.categories.id[c]!),
    annotationCount,
  };
}

/** Every third image, picked in a scrambled order. */
function picksOf(ds: Dataset): number[] {
  const picks: number[] = [];
  for (let i = 1; i < ds.images.count; i += 3) picks.push(i);
  return picks.map((p, k) => [p, (k * 7919) % 101] as const).sort((a, b) => a[1] - b[1]).map(([p]) => p);
}

const ids = (list: unknown) => list as number[];

function parse(path: string): Parsed {
  return JSON.parse(readFileSync(path, 'utf8')) as Parsed;
}

function validate(def: 'dataset' | 'lvisDataset', data: unknown): void {
  const v = ajv.getSchema(`${SCHEMA.$id}#/definitions/${def}`)!;
  assert.ok(v(data), ajv.errorsText(v.errors));
}

/** The image with its neg / not-exhaustive lists reduced to `kept` (key order kept). */
function withListsPruned(im: Rec, kept: Set<number>): Rec {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(im)) {
    out[k] = k === 'neg_category_ids' || k === 'not_exhaustive_category_ids' ? (v as number[]).filter((c) => kept.has(c)) : v;
  }
  return out as Rec;
}

/**
 * Checks a written subset against its source, independently of the writer (JSON.parse).
 * `kept`: the categories the file keeps, when not all.
 */
function checkSubset(source: Parsed, out: Parsed, sample: Sample, kept?: Set<number>): void {
  const ids = new Set(sample.imageIds);
  assert.deepEqual(Object.keys(out), Object.keys(source), 'top-level keys in the source order');
  const images = source.images.filter((im) => ids.has(im.id));
  assert.deepEqual(out.images, kept ? images.map((im) => withListsPruned(im, kept)) : images);
  out.images.forEach((im, i) => assert.deepEqual(Object.keys(im), Object.keys(images[i]!)));
  assert.deepEqual(out.annotations, source.annotations.filter((a) => ids.has(a.image_id)));
  assert.equal(out.images.length, sample.imageIds.length);
  assert.equal(out.annotations.length, sample.annotationCount);
  for (const key of Object.keys(source)) {
    if (!['images', 'annotations', 'categories', 'info'].includes(key)) assert.deepEqual(out[key], source[key], key);
  }
}

/** Every record of `ds2` (the reloaded output) has the exact bytes of the same record in the source. */
function checkBytes(src: Dataset, srcText: Buffer, out: Dataset, outText: Buffer): void {
  for (const table of ['images', 'annotations'] as const) {
    const byId = new Map<number, number>();
    for (let i = 0; i < src[table].count; i++) byId.set(src[table].id[i]!, i);
    for (let j = 0; j < out[table].count; j++) {
      const i = byId.get(out[table].id[j]!)!;
      const a = outText.subarray(out[table].byteStart[j]!, out[table].byteEnd[j]!);
      const b = srcText.subarray(src[table].byteStart[i]!, src[table].byteEnd[i]!);
      assert.ok(a.equals(b), `${table} id ${out[table].id[j]} is byte-identical`);
    }
  }
}

test('write: the LVIS subset reloads through load with identical records and the sample counts', async () => {
  const path = fixture('lvis_val_100.json');
  const ds = await load(path);
  const sample = sampleOf(ds, picksOf(ds));
  const { result, ctx } = await runStep(writeStep, { out: 'mini.json' }, { dataset: ds, sample });

  const source = parse(path);
  const out = parse(result.subset);
  checkSubset(source, out, sample);
  assert.deepEqual(out.categories, source.categories, 'categories: all, unchanged');
  const { lvis_pipe: note, ...info } = out.info!;
  assert.deepEqual(info, source.info);
  assert.deepEqual(note, {
    step: 'write',
    source: 'lvis_val_100.json',
    images: sample.imageIds.length,
    annotations: sample.annotationCount,
    categories: 'all',
    recount: false,
    counts_from: 'full set',
    frequency_from: 'full set',
  });
  validate('lvisDataset', out);

  const again = await load(result.subset);
  assert.equal(again.images.count, sample.imageIds.length);
  assert.equal(again.annotations.count, sample.annotationCount);
  assert.deepEqual(Array.from(again.images.id), source.images.map((im) => im.id).filter((id) => sample.imageIds.includes(id)), 'source order');
  assert.deepEqual(again.categories.raw, ds.categories.raw);
  checkBytes(ds, readFileSync(path), again, readFileSync(result.subset));
  assert.match(ctx.logs.join('\n'), new RegExp(`wrote ${sample.imageIds.length} images, ${sample.annotationCount} annotations, 1230 categories`));
});

test('write with list_categories: kept and recount: true counts the subset and keeps the full-set frequency', async () => {
  const path = fixture('lvis_val_100.json');
  const ds = await load(path);
  const sample = sampleOf(ds, picksOf(ds));
  const { result } = await runStep(writeStep, { out: 'mini.json', list_categories: 'kept', recount: true }, { dataset: ds, sample });
  const source = parse(path);
  const out = parse(result.subset);
  const kept = new Set(out.annotations.map((a) => a.category_id));
  checkSubset(source, out, sample, kept);
  // No category outside the subset's is named anywhere (neg lists included).
  for (const im of out.images) {
    for (const c of [...(im.neg_category_ids as number[]), ...(im.not_exhaustive_category_ids as number[])]) assert.ok(kept.has(c));
  }
  assert.ok(
    source.images.some((im) => ids(im.neg_category_ids).some((c) => !kept.has(c))),
    'the source images name categories the subset drops',
  );

  // Expected categories and counts, from the parsed annotations alone.
  const instances = new Map<number, number>();
  const images = new Map<number, Set<number>>();
  for (const a of out.annotations) {
    instances.set(a.category_id, (instances.get(a.category_id) ?? 0) + 1);
    if (!images.has(a.category_id)) images.set(a.category_id, new Set());
    images.get(a.category_id)!.add(a.image_id);
  }
  const expected = source.categories
    .filter((c) => instances.has(c.id))
    .map((c) => ({ ...c, image_count: images.get(c.id)!.size, instance_count: instances.get(c.id)! }));
  assert.ok(expected.length > 0 && expected.length < source.categories.length);
  assert.deepEqual(out.categories, expected);
  for (let i = 0; i < expected.length; i++) assert.deepEqual(Object.keys(out.categories[i]!), Object.keys(expected[i]!), 'key order kept');
  assert.deepEqual(out.categories.map((c) => c.id), sample.keptCategoryIds);
  const note = out.info!.lvis_pipe as Record<string, unknown>;
  assert.equal(note.recount, true);
  assert.equal(note.counts_from, 'subset');
  assert.equal(note.frequency_from, 'full set');
  assert.equal(note.categories, 'kept');
  validate('lvisDataset', out);

  const again = await load(result.subset);
  assert.equal(again.categories.count, expected.length);
  assert.deepEqual(Array.from(again.categories.imageCount), expected.map((c) => c.image_count));
  assert.deepEqual(Array.from(again.categories.tier), sample.keptCategoryIndices.map((c) => ds.categories.tier[c]!), 'tiers unchanged');
});

for (const name of ['instances_val2014_100.json', 'instances_val2017_small.json']) {
  test(`write keeps the structure of the COCO file ${name}`, async () => {
    const path = fixture(name);
    const ds = await load(path);
    const picks = picksOf(ds);
    const sample = sampleOf(ds, picks.length ? picks : [0]);
    const { result, ctx } = await runStep(writeStep, { out: 'coco.json', recount: true }, { dataset: ds, sample });
    const source = parse(path);
    const out = parse(result.subset);
    checkSubset(source, out, sample);
    assert.deepEqual(out.categories, source.categories, 'no count fields added to COCO categories');
    for (const im of out.images) assert.ok(!('neg_category_ids' in im) && !('not_exhaustive_category_ids' in im));
    assert.match(ctx.logs.join('\n'), /COCO format\); none were added/);
    assert.deepEqual(out.info!.lvis_pipe, {
      step: 'write',
      source: name,
      images: sample.imageIds.length,
      annotations: sample.annotationCount,
      categories: 'all',
      recount: false,
    });
    validate('dataset', out);
    const again = await load(result.subset);
    checkBytes(ds, readFileSync(path), again, readFileSync(result.subset));
  });
}

test('write from a gzip source writes the same file as from the plain source', async () => {
  const dir = tempDir();
  const gz = join(dir, 'lvis_val_100.json.gz');
  writeFileSync(gz, gzipSync(readFileSync(fixture('lvis_val_100.json'))));
  const plain = await load(fixture('lvis_val_100.json'));
  const zipped = await load(gz);
  const options = { out: 'mini.json', provenance: false, list_categories: 'kept', recount: true };
  const a = await runStep(writeStep, options, { dataset: plain, sample: sampleOf(plain, picksOf(plain)) });
  const b = await runStep(writeStep, options, { dataset: zipped, sample: sampleOf(zipped, picksOf(zipped)) });
  assert.ok(readFileSync(a.result.subset).equals(readFileSync(b.result.subset)));
});

test('kept-categories lists the categories of the subset, ascending, with names', async () => {
  const path = fixture('lvis_val_100.json');
  const ds = await load(path);
  const sample = sampleOf(ds, picksOf(ds));
  const { result } = await runStep(keptStep, {}, { dataset: ds, sample });
  const source = parse(path);
  const ids = new Set(sample.imageIds);
  const kept = new Set(source.annotations.filter((a) => ids.has(a.image_id)).map((a) => a.category_id));
  const expected = source.categories.filter((c) => kept.has(c.id)).sort((a, b) => a.id - b.id);
  assert.deepEqual(result.kept, { ids: expected.map((c) => c.id), names: expected.map((c) => c.name) });
});

test('write refuses a sample drawn from another dataset and writes nothing', async () => {
  const lvis = await load(fixture('lvis_val_100.json'));
  const coco = await load(fixture('instances_val2014_100.json'));
  const sample = sampleOf(coco, picksOf(coco));
  const dir = tempDir();
  const err = await runStep(writeStep, { out: 'x.json' }, { dataset: lvis, sample }, dir).catch((e: unknown) => e);
  assert.ok(err instanceof DiagnosticError);
  assert.match(err.message, /the sample does not belong to this dataset: selected image #0 should be image id \d+/);
  assert.deepEqual(filesIn(dir), []);

  const outOfRange = { ...sample, imageIndices: [lvis.images.count], imageIds: [1] };
  await assert.rejects(runStep(writeStep, { out: 'x.json' }, { dataset: lvis, sample: outOfRange }, dir), /has index 100, the file has 100 images/);
  assert.deepEqual(filesIn(dir), []);
});

test('write stops, and writes nothing, when the source changed after it was loaded', async () => {
  const dir = tempDir();
  const path = join(dir, 'lvis.json');
  copyFileSync(fixture('lvis_val_100.json'), path);
  const ds = await load(path);
  const sample = sampleOf(ds, picksOf(ds));
  // Same size, shifted content: the byte ranges no longer hold the records.
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, ` ${text.slice(0, -1)}`);
  const outDir = tempDir();
  const err = await runStep(writeStep, { out: 'x.json' }, { dataset: ds, sample }, outDir).catch((e: unknown) => e);
  assert.ok(err instanceof DiagnosticError, String(err));
  assert.match(err.message, /changed since it was loaded: (image|annotation) id \d+ at bytes \d+\.\.\d+ is no longer a JSON object; run the load step again/);
  assert.deepEqual(filesIn(outDir), []);

  writeFileSync(path, text + '\n');
  await assert.rejects(runStep(writeStep, { out: 'x.json' }, { dataset: ds, sample }, outDir), /it now has \d+ bytes, it had \d+ when it was loaded/);
  assert.deepEqual(filesIn(outDir), []);

  rmSync(path);
  await assert.rejects(
    runStep(writeStep, { out: 'x.json' }, { dataset: ds, sample }, outDir),
    /cannot read the file this dataset was loaded from \(ENOENT\)/,
  );
  assert.deepEqual(filesIn(outDir), []);
});
