/**
 * The output steps end to end, through the real CLI, runner and step registry: load the real
 * LVIS v0.5 val sample (as "train" and, gzipped, as "val"), sample it, write the subset, and
 * prune the val file and a predictions file to the subset's categories. The runner places
 * every file output at its `out` path; the files reload through `load`, and pruned files
 * name no dropped category and no image the pruned GT lacks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../src/lvis/load/load.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

const FIXTURE = new URL('../../test/fixtures/real/lvis_val_100.json', import.meta.url).pathname;
const registry = new StepRegistry(STEP_MODULES);

const PIPELINE = `
params:
  total_images: 30
steps:
  train: { type: load, options: { path: train.json } }
  val: { type: load, options: { path: val.json.gz } }
  stats: { type: stats, inputs: { dataset: train } }
  mix: { type: target-mix, inputs: { stats: stats } }
  histograms: { type: histograms, inputs: { dataset: train } }
  quotas: { type: quotas, inputs: { dataset: train } }
  sample:
    type: greedy-sample
    inputs: { dataset: train, histograms: histograms, mix: mix, quotas: quotas }
    options: { total_images: "\${params.total_images}", pool: 16 }
  subset:
    type: write
    inputs: { dataset: train, sample: sample.sample }
    options: { out: out/mini.json, list_categories: kept, recount: true }
  kept: { type: kept-categories, inputs: { dataset: train, sample: sample.sample } }
  prune_val:
    type: prune-gt
    inputs: { gt: val, kept: kept }
    options: { out: out/val_pruned.json, drop_empty_images: true, list_categories: kept }
  prune_preds:
    type: prune-preds
    inputs: { images: prune_val.images, kept: prune_val.kept }
    options: { path: preds.json, out: out/preds_pruned.json }
`;

interface Gt {
  images: Array<{ id: number; neg_category_ids: number[]; not_exhaustive_category_ids: number[] }>;
  annotations: Array<{ id: number; image_id: number; category_id: number; bbox: number[] }>;
  categories: Array<{ id: number }>;
}

describe('write and prune through the CLI', () => {
  let ws: Workspace;
  const source = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Gt;
  before(() => {
    ws = new Workspace();
    ws.write('train.json', readFileSync(FIXTURE, 'utf8'));
    writeFileSync(ws.path('val.json.gz'), gzipSync(readFileSync(FIXTURE)));
    // One detection per GT annotation, and one of another category on the same image.
    const dets = source.annotations.flatMap((a, i) => [
      { image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 0.9 },
      { image_id: a.image_id, category_id: source.categories[(i * 13) % source.categories.length]!.id, bbox: a.bbox, score: 0.1 },
    ]);
    ws.write('preds.json', JSON.stringify(dets));
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  test('a run writes the subset and the pruned files at their paths, and they reload', async () => {
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Object.values(statuses(r.events)).every((s) => s === 'ran'));

    const mini = JSON.parse(ws.read('out/mini.json')) as Gt;
    assert.equal(mini.images.length, 30);
    const ids = new Set(mini.images.map((im) => im.id));
    assert.deepEqual(mini.annotations, source.annotations.filter((a) => ids.has(a.image_id)));
    const reloaded = (await loadDataset(ws.path('out/mini.json'))).dataset;
    assert.equal(reloaded.images.count, 30);
    assert.equal(reloaded.annotations.count, mini.annotations.length);

    const kept = new Set(mini.categories.map((c) => c.id));
    assert.deepEqual(kept, new Set(mini.annotations.map((a) => a.category_id)), 'categories: kept');

    const val = JSON.parse(ws.read('out/val_pruned.json')) as Gt;
    const mentioned = [
      ...val.categories.map((c) => c.id),
      ...val.annotations.map((a) => a.category_id),
      ...val.images.flatMap((im) => [...im.neg_category_ids, ...im.not_exhaustive_category_ids]),
    ];
    assert.ok(mentioned.every((c) => kept.has(c)), 'no dropped category in the pruned val');
    const valImages = new Set(val.images.map((im) => im.id));
    assert.ok(val.annotations.every((a) => valImages.has(a.image_id)));
    assert.ok(val.images.length < source.images.length, 'drop_empty_images dropped some');
    await loadDataset(ws.path('out/val_pruned.json'));

    const preds = JSON.parse(ws.read('out/preds_pruned.json')) as Array<{ image_id: number; category_id: number }>;
    const all = JSON.parse(ws.read('preds.json')) as Array<{ image_id: number; category_id: number }>;
    assert.deepEqual(preds, all.filter((d) => kept.has(d.category_id) && valImages.has(d.image_id)));
    assert.ok(preds.length > 0 && preds.length < all.length);
  });

  test('a second run is all cache hits and restores a deleted output file', async () => {
    const before = ws.read('out/val_pruned.json');
    rmSync(ws.path('out/val_pruned.json'));
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Object.values(statuses(r.events)).every((s) => s === 'cached'));
    assert.equal(ws.read('out/val_pruned.json'), before);
  });

  test('early cutoff never reuses a subset written from older bytes: an edit that changes no parsed field still rewrites it', async () => {
    // strict_json on a clean file: `train` reruns, its dataset is byte-identical, and
    // everything below it is reused.
    ws.write('p.yaml', PIPELINE.replace('options: { path: train.json }', 'options: { path: train.json, strict_json: true }'));
    const strict = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry });
    assert.equal(strict.code, 0, strict.stderr);
    const st = statuses(strict.events);
    assert.equal(st.train, 'ran');
    assert.ok(Object.entries(st).every(([id, s]) => id === 'train' || s === 'cached'), JSON.stringify(st));
    ws.write('p.yaml', PIPELINE);
    // A polygon coordinate of a kept image changed, same length: no parsed field (bbox, area,
    // ids) changes, but the subset must carry the new bytes.
    const mini = JSON.parse(ws.read('out/mini.json')) as Gt & { annotations: Array<{ segmentation: number[][] }> };
    const text = ws.read('train.json');
    const coord = String(mini.annotations[0]!.segmentation[0]![0]);
    const at = text.indexOf(coord);
    assert.ok(at > 0 && coord.length >= 3);
    const edited = coord.slice(0, -1) + (coord.endsWith('1') ? '2' : '1');
    ws.write('train.json', text.slice(0, at) + edited + text.slice(at + coord.length));
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statuses(r.events).subset, 'ran');
    assert.ok(ws.read('out/mini.json').includes(edited));
    ws.write('train.json', text);
  });

  test('bad predictions fail the run with the file and offset, and leave no output file', async () => {
    ws.write('preds.json', '{"not": "a list"}');
    rmSync(ws.path('out/preds_pruned.json'));
    const r = await runCli(['run', 'p.yaml'], { cwd: ws.dir, registry });
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /preds\.json:1:1 \(byte 0\): expected a JSON array of detections at the top level, found an object/);
    assert.throws(() => ws.read('out/preds_pruned.json'), /ENOENT/);
  });
});
