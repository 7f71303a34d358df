/**
 * The `load` step through the real runner and CLI, and the `lvis.dataset` codec.
 */
import { test } from 'node:test';
import { datasetKind } from '../src/steps/kinds.js';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StepRegistry } from '../src/runner/step/registry.js';
import loadStep from '../src/steps/load.js';
import statsStep from '../src/steps/stats.js';
import { decodeDataset, encodeDataset } from '../src/lvis/dataset/codec.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';
import { pythonStyle, smallLvis } from './load-helpers.js';

const REAL = fileURLToPath(new URL('../../test/fixtures/real/', import.meta.url));
const registry = () => new StepRegistry([loadStep, statsStep]);
const PIPELINE = `steps:
  train: { type: load, options: { path: data/train.json } }
  stats: { type: stats, inputs: { dataset: train } }
`;

function logsOf(events: Awaited<ReturnType<typeof runCli>>['events'], stepId: string): string[] {
  return events.flatMap((e) => (e.type === 'step-log' && e.stepId === stepId ? [e.message] : []));
}

test('load runs once, feeds a downstream step, says what it derived, and is cached', async () => {
  const ws = new Workspace();
  try {
    ws.write('p.yaml', PIPELINE);
    ws.write('data/.keep', '');
    copyFileSync(REAL + 'instances_val2014_100.json', ws.path('data/train.json'));
    const first = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(statuses(first.events), { train: 'ran', stats: 'ran' });
    const logs = logsOf(first.events, 'train').join('\n');
    assert.match(logs, /100 images, 839 annotations, 80 categories \(COCO format/);
    assert.match(logs, /no "frequency" in the categories \(COCO format\): tiers derived from per-category image counts/);
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.deepEqual(statuses(again.events), { train: 'cached', stats: 'cached' });
    // A changed file is loaded again.
    copyFileSync(REAL + 'lvis_val_100.json', ws.path('data/train.json'));
    const changed = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(statuses(changed.events).train, 'ran');
    const lvisLogs = logsOf(changed.events, 'train').join('\n');
    assert.match(lvisLogs, /100 images, 977 annotations, 1230 categories \(LVIS format/);
    assert.match(lvisLogs, /7 images have no annotations: kept in the dataset, never sampled/);
    assert.doesNotMatch(lvisLogs, /tiers derived/);
  } finally {
    ws.remove();
  }
});

test('a bad file fails the step with exit status 1, the diagnostics, and nothing cached', async () => {
  const ws = new Workspace();
  try {
    ws.write('p.yaml', PIPELINE);
    const doc = smallLvis();
    doc.annotations[1]!.bbox = [1, 2, -3, 4];
    ws.write('data/train.json', pythonStyle(doc));
    const bad = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.equal(bad.code, 1);
    assert.deepEqual(statuses(bad.events), { train: 'failed', stats: 'skipped' });
    const failed = bad.events.find((e) => e.type === 'step-failed');
    assert.ok(failed && failed.type === 'step-failed');
    const [d] = failed.diagnostics ?? [];
    assert.match(d!.message, /^annotation id=2 \(#1\), field "bbox": bbox\[2\] is -3, expected a finite number ≥ 0/);
    assert.deepEqual({ file: d!.location?.file, line: d!.location?.line }, { file: 'data/train.json', line: 1 });
    const human = await runCli(['run', 'p.yaml'], { cwd: ws.dir, registry: registry() });
    assert.equal(human.code, 1);
    assert.match(human.stdout + human.stderr, /data\/train\.json:1:\d+ \(byte \d+\): annotation id=2 \(#1\), field "bbox"/);
    assert.doesNotMatch(human.stdout + human.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(ws.records().length, 0, 'nothing cached');
    // Fixed, it runs.
    ws.write('data/train.json', pythonStyle(smallLvis()));
    const good = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.equal(good.code, 0, good.stderr);
  } finally {
    ws.remove();
  }
});

test('the dataset codec round-trips, with zero-copy views when aligned and copies when not', async () => {
  for (const file of ['lvis_val_100.json', 'instances_val2014_100.json']) {
    const { dataset } = await loadDataset(REAL + file);
    const bytes = encodeDataset(dataset);
    const decoded = decodeDataset(bytes);
    assert.deepEqual(decoded, dataset);
    assert.equal(decoded.annotations.bbox.buffer, bytes.buffer, 'aligned: a view, not a copy');
    // The same bytes at an odd address: every multi-byte array must be copied, and still equal.
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const copied = decodeDataset(shifted);
    assert.deepEqual(copied, dataset);
    assert.notEqual(copied.annotations.bbox.buffer, shifted.buffer);
    assert.equal(datasetKind.name, 'lvis.dataset');
  }
  assert.throws(() => decodeDataset(new Uint8Array(32)), /not an encoded dataset/);
});

test('load takes its file from another step’s file output (synth.train) instead of `path`, and needs exactly one of the two', async () => {
  const { default: synthStep } = await import('../src/steps/synth.js');
  const reg = () => new StepRegistry([synthStep, loadStep, statsStep]);
  const ws = new Workspace();
  try {
    ws.write(
      'p.yaml',
      `steps:\n  data: { type: synth, options: { images: 150, val_images: 20, seed: 3 } }\n  train: { type: load, inputs: { file: data.train } }\n  stats: { type: stats, inputs: { dataset: train } }\n`,
    );
    const first = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: reg() });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(statuses(first.events), { data: 'ran', train: 'ran', stats: 'ran' });
    assert.match(logsOf(first.events, 'train').join('\n'), /^150 images, \d+ annotations, 1203 categories \(LVIS format/m);
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: reg() });
    assert.deepEqual(statuses(again.events), { data: 'cached', train: 'cached', stats: 'cached' });

    ws.write('both.yaml', `steps:\n  data: { type: synth, options: { images: 150, val_images: 20, seed: 3 } }\n  train: { type: load, inputs: { file: data.train }, options: { path: x.json } }\n`);
    ws.write('x.json', '{}');
    // Checked with the pipeline, before anything runs: exit 2, at the offending spot.
    const both = await runCli(['validate', 'both.yaml'], { cwd: ws.dir, registry: reg() });
    assert.equal(both.code, 2);
    assert.match(both.stdout + both.stderr, /both\.yaml:3:\d+: step `train` \(type `load`\): has both a `path` option and a `file` input: give exactly one/);

    ws.write('neither.yaml', `steps:\n  train: { type: load }\n`);
    const neither = await runCli(['run', 'neither.yaml'], { cwd: ws.dir, registry: reg() });
    assert.equal(neither.code, 2);
    assert.match(neither.stdout + neither.stderr, /neither\.yaml:2:\d+: step `train` \(type `load`\): needs a file: a `path` option/);
    assert.doesNotMatch(neither.stdout + neither.stderr, /▶|ran in/, 'nothing ran');
  } finally {
    ws.remove();
  }
});
