import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { DiagnosticError } from '../src/base/diagnostic.js';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { loadDataset } from '../src/lvis/load/load.js';
import pruneGtStep from '../src/steps/prune-gt.js';
import { filesIn, runStep, tempDir } from './write-prune-context.js';

const FIXTURES = new URL('../../test/fixtures/real/', import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;
const SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/lvis.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true });
ajv.addSchema(SCHEMA);

type Image = Record<string, unknown> & { id: number; neg_category_ids?: number[]; not_exhaustive_category_ids?: number[] };
interface Parsed {
  info?: Record<string, unknown>;
  images: Image[];
  annotations: Array<Record<string, unknown> & { id: number; image_id: number; category_id: number }>;
  categories: Array<Record<string, unknown> & { id: number; name: string }>;
  [key: string]: unknown;
}

/** Loads a file as the `load` step does. */
async function load(path: string): Promise<Dataset> {
  return (await loadDataset(path)).dataset;
}

function parse(path: string): Parsed {
  return JSON.parse(readFileSync(path, 'utf8')) as Parsed;
}

function validate(def: 'dataset' | 'lvisDataset', data: unknown): void {
  const v = ajv.getSchema(`${SCHEMA.$id}#/definitions/${def}`)!;
  assert.ok(v(data), ajv.errorsText(v.errors));
}

/** What a "train subset" keeps: the categories annotated on every third image of the file. */
function keptFromEveryThirdImage(source: Parsed): number[] {
  const picked = new Set(source.images.filter((_, i) => i % 3 === 0).map((im) => im.id));
  return [...new Set(source.annotations.filter((a) => picked.has(a.image_id)).map((a) => a.category_id))].sort((a, b) => a - b);
}

/** The source image with its lists filtered, keys in their original order. */
function prunedImage(im: Image, kept: Set<number>): Image {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(im)) {
    out[k] = k === 'neg_category_ids' || k === 'not_exhaustive_category_ids' ? (v as number[]).filter((c) => kept.has(c)) : v;
  }
  return out as Image;
}

/** Every category id mentioned anywhere in a GT file. */
function categoryIdsMentioned(d: Parsed): Set<number> {
  const ids = new Set<number>();
  for (const c of d.categories) ids.add(c.id);
  for (const a of d.annotations) ids.add(a.category_id);
  for (const im of d.images) for (const c of [...(im.neg_category_ids ?? []), ...(im.not_exhaustive_category_ids ?? [])]) ids.add(c);
  return ids;
}

test('prune-gt leaves no dropped category anywhere and copies untouched records byte for byte', async () => {
  const path = fixture('lvis_val_100.json');
  const source = parse(path);
  const ds = await load(path);
  const keptIds = keptFromEveryThirdImage(source);
  const kept = new Set(keptIds);
  const names = keptIds.map((id) => source.categories.find((c) => c.id === id)!.name);

  const { result, ctx } = await runStep(pruneGtStep, { out: 'val_pruned.json', list_categories: 'kept' }, { gt: ds, kept: { ids: keptIds, names } });
  const out = parse(result.gt);

  assert.deepEqual(Object.keys(out), Object.keys(source));
  assert.deepEqual(out.categories, source.categories.filter((c) => kept.has(c.id)));
  assert.deepEqual(out.annotations, source.annotations.filter((a) => kept.has(a.category_id)));
  assert.equal(out.images.length, source.images.length, 'drop_empty_images defaults to false');
  const expectedImages = source.images.map((im) => prunedImage(im, kept));
  assert.deepEqual(out.images, expectedImages);
  out.images.forEach((im, i) => assert.deepEqual(Object.keys(im), Object.keys(source.images[i]!)));
  assert.deepEqual(out.licenses, source.licenses);

  const mentioned = categoryIdsMentioned(out);
  for (const id of mentioned) assert.ok(kept.has(id), `dropped category ${id} is still in the file`);
  const droppedBefore = [...categoryIdsMentioned(source)].filter((id) => !kept.has(id));
  assert.ok(droppedBefore.length > 0, 'the source mentions categories that get dropped');

  // Images whose lists did not change, and all annotations, keep their exact bytes.
  const again = await load(result.gt);
  const srcText = readFileSync(path);
  const outText = readFileSync(result.gt);
  let untouched = 0;
  for (let j = 0; j < again.images.count; j++) {
    const src = source.images[j]!;
    const same = JSON.stringify(src) === JSON.stringify(expectedImages[j]);
    const a = outText.subarray(again.images.byteStart[j]!, again.images.byteEnd[j]!);
    const b = srcText.subarray(ds.images.byteStart[j]!, ds.images.byteEnd[j]!);
    assert.equal(a.equals(b), same, `image ${src.id} is byte-identical iff its lists did not change`);
    if (same) untouched++;
  }
  assert.ok(untouched > 0 && untouched < source.images.length);
  for (let j = 0; j < again.annotations.count; j++) {
    const i = ds.annotations.id.indexOf(again.annotations.id[j]!);
    const a = outText.subarray(again.annotations.byteStart[j]!, again.annotations.byteEnd[j]!);
    assert.ok(a.equals(srcText.subarray(ds.annotations.byteStart[i]!, ds.annotations.byteEnd[i]!)));
  }

  assert.deepEqual(result.images.ids, out.images.map((im) => im.id));
  assert.deepEqual(result.kept, { ids: keptIds, names });
  const { lvis_pipe: note, ...info } = out.info!;
  assert.deepEqual(info, source.info);
  assert.deepEqual(note, {
    step: 'prune-gt',
    source: 'lvis_val_100.json',
    kept_categories: keptIds.length,
    listed_categories: 'kept',
    images: out.images.length,
    annotations: out.annotations.length,
    drop_empty_images: false,
  });
  validate('lvisDataset', out);

  const negBefore = source.images.reduce((n, im) => n + im.neg_category_ids!.length, 0);
  const negAfter = out.images.reduce((n, im) => n + im.neg_category_ids!.length, 0);
  assert.match(ctx.logs[0]!, new RegExp(`kept the annotations of ${keptIds.length} categories \\(those of ${source.categories.length - keptIds.length} others dropped\\)`));
  assert.doesNotMatch(ctx.logs[0]!, /lists all/, 'list_categories: kept lists only those');
  assert.match(ctx.logs[0]!, new RegExp(`removed ${negBefore - negAfter} neg and \\d+ not-exhaustive category ids from ${source.images.length - untouched} images`));
});

test('prune-gt with drop_empty_images drops the images left without annotations', async () => {
  const path = fixture('lvis_val_100.json');
  const source = parse(path);
  const keptIds = keptFromEveryThirdImage(source).slice(0, 15);
  const kept = new Set(keptIds);
  const ds = await load(path);
  const { result } = await runStep(pruneGtStep, { out: 'o.json', categories: keptIds, drop_empty_images: true, list_categories: 'kept' }, { gt: ds });
  const out = parse(result.gt);
  const withKept = new Set(source.annotations.filter((a) => kept.has(a.category_id)).map((a) => a.image_id));
  assert.ok(withKept.size > 0 && withKept.size < source.images.length);
  assert.deepEqual(out.images, source.images.filter((im) => withKept.has(im.id)).map((im) => prunedImage(im, kept)));
  assert.deepEqual(result.images.ids, out.images.map((im) => im.id));
  for (const id of categoryIdsMentioned(out)) assert.ok(kept.has(id));
  validate('lvisDataset', out);
  const again = await load(result.gt);
  assert.equal(again.images.count, withKept.size);
});

for (const name of ['instances_val2014_100.json', 'instances_val2017_small.json']) {
  test(`prune-gt keeps the structure of the COCO file ${name}`, async () => {
    const path = fixture(name);
    const source = parse(path);
    const keptIds = [...new Set(source.annotations.map((a) => a.category_id))].filter((_, i) => i % 2 === 0);
    const kept = new Set(keptIds);
    const { result } = await runStep(pruneGtStep, { out: 'o.json', categories: keptIds, list_categories: 'kept' }, { gt: await load(path) });
    const out = parse(result.gt);
    assert.deepEqual(out.images, source.images, 'COCO images are copied as they are, no neg lists added');
    assert.deepEqual(out.annotations, source.annotations.filter((a) => kept.has(a.category_id)));
    assert.deepEqual(out.categories, source.categories.filter((c) => kept.has(c.id)));
    validate('dataset', out);
    await load(result.gt);
  });
}

test('prune-gt of a gzip GT writes the same file as of the plain GT', async () => {
  const dir = tempDir();
  const gz = join(dir, 'val.json.gz');
  writeFileSync(gz, gzipSync(readFileSync(fixture('lvis_val_100.json'))));
  const categories = keptFromEveryThirdImage(parse(fixture('lvis_val_100.json')));
  const options = { out: 'o.json', categories, provenance: false };
  const a = await runStep(pruneGtStep, options, { gt: await load(fixture('lvis_val_100.json')) });
  const b = await runStep(pruneGtStep, options, { gt: await load(gz) });
  assert.ok(readFileSync(a.result.gt).equals(readFileSync(b.result.gt)));
});

test('prune-gt rejects a subset of another LVIS version: same ids, other names (v1 kept categories, v0.5 GT)', async () => {
  const gt = await load(fixture('lvis_val_100.json')); // LVIS v0.5 val
  const v1 = JSON.parse(readFileSync(new URL('../../data/lvis_v1_categories.json', import.meta.url), 'utf8')) as { id: number; name: string }[];
  const gtIds = new Set(Array.from(gt.categories.id));
  const shared = v1.filter((c) => gtIds.has(c.id)).slice(0, 40);
  const dir = tempDir();
  const err = await runStep(pruneGtStep, { out: 'o.json', list_categories: 'kept' }, { gt, kept: { ids: shared.map((c) => c.id), names: shared.map((c) => c.name) } }, dir).catch((e: unknown) => e);
  assert.ok(err instanceof DiagnosticError);
  assert.match(err.message, /\d+ of 40 kept category ids from the `kept` input name other categories in this file: id \d+ is `[^`]+` in the subset but `[^`]+` here/);
  assert.match(err.message, /same LVIS version\? \(v0\.5 and v1 number their categories differently\.\)/);
  assert.deepEqual(filesIn(dir), []);
  // The same ids with the GT's own names are accepted.
  const nameOf = new Map(Array.from(gt.categories.id, (id, c) => [id, gt.categories.name[c]!]));
  const ok = await runStep(pruneGtStep, { out: 'o.json', list_categories: 'kept' }, { gt, kept: { ids: shared.map((c) => c.id), names: shared.map((c) => nameOf.get(c.id)!) } }, dir);
  assert.equal(JSON.parse(readFileSync(ok.result.gt, 'utf8')).categories.length, 40);
});

test('prune-gt rejects kept ids the GT does not have, and a missing or doubled kept list, writing nothing', async () => {
  const ds = await load(fixture('lvis_val_100.json'));
  const dir = tempDir();
  const unknown = await runStep(pruneGtStep, { out: 'o.json', categories: [3, 5000, 7000] }, { gt: ds }, dir).catch((e: unknown) => e);
  assert.ok(unknown instanceof DiagnosticError);
  assert.match(unknown.message, /2 kept category id\(s\) from the `categories` option are not categories of this file: 5000, 7000/);
  const neither = await runStep(pruneGtStep, { out: 'o.json' }, { gt: ds }, dir).catch((e: unknown) => e);
  assert.ok(neither instanceof DiagnosticError && neither.exitCode === 2);
  const both = await runStep(pruneGtStep, { out: 'o.json', categories: [3] }, { gt: ds, kept: { ids: [3], names: ['x'] } }, dir).catch((e: unknown) => e);
  assert.ok(both instanceof DiagnosticError && /not both/.test(both.message));
  assert.deepEqual(filesIn(dir), []);
});

test('list_categories: `all` and `kept` give the same evaluation inputs for every kept category; only the list differs', async () => {
  const path = fixture('lvis_val_100.json');
  const source = parse(path);
  const ds = await load(path);
  const keptIds = keptFromEveryThirdImage(source);
  const kept = new Set(keptIds);
  const names = keptIds.map((id) => source.categories.find((c) => c.id === id)!.name);
  const logs: string[] = [];
  const run = async (mode: 'all' | 'kept') => {
    const { result, ctx } = await runStep(pruneGtStep, { out: `val_${mode}.json`, list_categories: mode }, { gt: ds, kept: { ids: keptIds, names } });
    logs.push(...ctx.logs);
    return parse(result.gt);
  };
  const all = await run('all');
  // The log does not call the categories "kept" and nothing else: the file lists all of them.
  assert.match(logs[0]!, new RegExp(`kept the annotations of ${keptIds.length} categories .*; the file lists all ${source.categories.length} categories \\(list_categories: all\\)`));
  const onlyKept = await run('kept');
  assert.deepEqual(all.categories, source.categories, '`all` lists every category, in the source order');
  assert.deepEqual(onlyKept.categories.map((c) => c.id), source.categories.filter((c) => kept.has(c.id)).map((c) => c.id));
  // What an evaluator reads per kept category is the same in both files.
  assert.deepEqual(all.annotations, onlyKept.annotations);
  assert.ok(all.annotations.every((a) => kept.has(a.category_id)), 'annotations are pruned in both modes');
  const lists = (d: typeof all) => d.images.map((im) => [im.id, im.neg_category_ids, im.not_exhaustive_category_ids]);
  assert.deepEqual(lists(all), lists(onlyKept));
  assert.ok(all.images.every((im) => [...im.neg_category_ids!, ...im.not_exhaustive_category_ids!].every((c) => kept.has(c))));
});
