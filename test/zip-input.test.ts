/**
 * `.json.zip` inputs (issue 26, point 1): every reader of JSON reads the JSON member of a zip,
 * streamed, with no temporary file, through the shared readers (src/lvis/source/). The zips are
 * committed fixtures written by Info-ZIP's `zip` and by Python's zipfile, the way users get them
 * (test/fixtures/zip/make-fixtures.sh made them): deflate, stored, zip64 (forced by `zip -fz`,
 * and in the local header only, as Python writes it), a data descriptor (written to a pipe), a
 * folder and macOS resource fork beside the member; and damaged or unreadable ones.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { constants, deflateRawSync } from 'node:zlib';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { pruneGt } from '../src/lvis/prune/prune-gt.js';
import { prunePreds } from '../src/lvis/prune/prune-preds.js';
import { crc32, tableCrc32 } from '../src/lvis/source/crc32.js';
import { selectImages, writeSubset } from '../src/lvis/write/write-subset.js';
import { formatDiagnostic } from '../src/base/diagnostic.js';
import { diagnosticOf, lineColOf, tempFile } from './load-helpers.js';
import { mulberry32 } from './helpers/seeded.js';
import { zipOf } from './helpers/zip-writer.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import loadStep from '../src/steps/load.js';
import statsStep from '../src/steps/stats.js';

const ZIPS = new URL('../../test/fixtures/zip/', import.meta.url).pathname;
const zip = (name: string) => join(ZIPS, name);
const PLAIN = new URL('../../test/fixtures/real/instances_val2017_small.json', import.meta.url).pathname;
const GOOD = ['deflate.json.zip', 'stored.json.zip', 'zip64.json.zip', 'python-zip64.json.zip', 'streamed.json.zip', 'macos.json.zip'];

test('the fixtures are what the script makes (every zip it writes is tested here)', () => {
  const zips = readdirSync(ZIPS).filter((n) => n.endsWith('.zip')).sort();
  assert.ok(readdirSync(ZIPS).includes('detections.json'));
  const tested = [...GOOD, 'detections.json.zip', 'two-json.zip', 'no-json.zip', 'encrypted.json.zip', 'bzip2.json.zip', 'bad-crc.json.zip', 'damaged-stored.json.zip', 'cut.json.zip', 'json-cut-short.json.zip'].sort();
  assert.deepEqual(zips, tested);
});

for (const name of GOOD) {
  test(`load reads ${name} to the dataset of the plain file`, async () => {
    const plain = (await loadDataset(PLAIN)).dataset;
    for (const windowBytes of [undefined, 64]) {
      const ds = (await loadDataset(zip(name), windowBytes ? { windowBytes } : {})).dataset;
      const { path: _p, encoding, member, ...source } = ds.source;
      assert.deepEqual([encoding, member], ['zip', name === 'macos.json.zip' ? 'lvis/instances.json' : 'instances.json']);
      assert.equal(source.textBytes, readFileSync(PLAIN).length);
      const { path: _q, encoding: _e, ...plainSource } = plain.source;
      assert.deepEqual({ ...ds, source }, { ...plain, source: plainSource });
    }
  });
}

test('the hash taken while loading a zip is the sha256 of the whole zip file', async () => {
  for (const name of ['deflate.json.zip', 'stored.json.zip', 'macos.json.zip']) {
    const r = await loadDataset(zip(name), { hash: true });
    assert.equal(r.sha256, createHash('sha256').update(readFileSync(zip(name))).digest('hex'), name);
  }
});

test('write and prune-gt copy records from a zipped source byte for byte as from the plain file', async () => {
  const plain = (await loadDataset(PLAIN)).dataset;
  const zipped = (await loadDataset(zip('deflate.json.zip'))).dataset;
  const mask = Uint8Array.from({ length: plain.images.count }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const out = (name: string) => tempFile('', name);
  const [a, b] = [out('.json'), out('.json')];
  await writeSubset(plain, selectImages(plain, mask), { categories: 'kept', recount: false, provenance: false }, a);
  await writeSubset(zipped, selectImages(zipped, mask), { categories: 'kept', recount: false, provenance: false }, b);
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  const kept = Uint8Array.from({ length: plain.categories.count }, (_, c) => (c % 3 === 0 ? 1 : 0));
  const [c, d] = [out('.json'), out('.json')];
  await pruneGt(plain, kept, { dropEmptyImages: false, listAllCategories: false, provenance: false }, c);
  await pruneGt(zipped, kept, { dropEmptyImages: false, listAllCategories: false, provenance: false }, d);
  assert.ok(readFileSync(c).equals(readFileSync(d)));
});

test('prune-preds and evaluate read zipped detections and a zipped GT as the plain files', async () => {
  const detections = zip('detections.json'); // the zipped member's text, kept by the script
  const filter = { categoryIds: new Set([1, 44, 62, 67, 72, 84]), imageIds: new Set([397133, 37777]) };
  const [a, b] = [tempFile('', '.json'), tempFile('', '.json')];
  const plainSummary = await prunePreds(detections, filter, a);
  const zipSummary = await prunePreds(zip('detections.json.zip'), filter, b);
  assert.ok(plainSummary.kept > 0 && plainSummary.kept < plainSummary.detections);
  assert.deepEqual(zipSummary, plainSummary);
  assert.equal(zipSummary.fastPath, true, 'the fast scan reads a zip too');
  assert.ok(readFileSync(a).equals(readFileSync(b)));
  const plainEval = await evaluateFiles(PLAIN, detections);
  const zipEval = await evaluateFiles(zip('stored.json.zip'), zip('detections.json.zip'));
  assert.deepEqual(zipEval.evaluations, plainEval.evaluations);
  assert.ok(plainEval.evaluations[0]!.metrics!.AP > 0);
});

test('a syntax error inside a zip member is located in the member: its byte offset, line and column', async () => {
  const text = readFileSync(PLAIN).subarray(0, 20000).toString('utf8');
  const err = await diagnosticOf(loadDataset(zip('json-cut-short.json.zip')));
  const d = err.diagnostics[0]!;
  assert.match(d.message, /unexpected end of input .*truncated/);
  assert.deepEqual(
    { member: d.location?.member, offset: d.location?.offset, line: d.location?.line, col: d.location?.col },
    { member: 'cut.json', offset: 20000, ...lineColOf(text, 20000) },
  );
  assert.match(formatDiagnostic(d), /json-cut-short\.json\.zip\/cut\.json:\d+:\d+ \(byte 20000\)/);
});

const faults: [name: string, message: RegExp, member?: string][] = [
  ['two-json.zip', /holds 2 JSON members \("instances\.json", "val\.json"\).*unzip -p/],
  ['no-json.zip', /holds no JSON member .*it holds "readme\.txt"/],
  ['encrypted.json.zip', /encrypted: lvis-pipe cannot decrypt it/, 'instances.json'],
  ['bzip2.json.zip', /compressed with bzip2 \(method 12\).*deflate/, 'instances.json'],
  ['bad-crc.json.zip', /damaged: its text does not match the CRC-32 the archive records/, 'instances.json'],
  ['damaged-stored.json.zip', /damaged: the CRC-32 of its text is [0-9a-f]{8}, the archive records [0-9a-f]{8}/, 'instances.json'],
  ['cut.json.zip', /not a valid zip file: no end-of-central-directory record \(is the file cut short\?\)/],
];

for (const [name, message, member] of faults) {
  test(`${name}: a clear error that names the members or the fault`, async () => {
    for (const read of [() => loadDataset(zip(name)), () => streamTopLevelArray(zip(name), () => {})]) {
      const err = await diagnosticOf(read());
      const d = err.diagnostics[0]!;
      assert.match(d.message, message);
      assert.equal(err.exitCode, 1);
      assert.match(d.location!.file, new RegExp(name.replace(/\./g, '\\.') + '$'));
      assert.equal(d.location!.member, member);
    }
  });
}

test('a damaged member is reported at the end of its text: the CRC-32 is checked once it is all read', async () => {
  const err = await diagnosticOf(loadDataset(zip('damaged-stored.json.zip')));
  assert.equal(err.diagnostics[0]!.location?.offset, readFileSync(PLAIN).length);
});

test('the table CRC-32 (Node before 20.15) agrees with zlib’s', () => {
  const text = readFileSync(PLAIN);
  assert.equal(tableCrc32(text), crc32(text));
  assert.equal(tableCrc32(text.subarray(5000), tableCrc32(text.subarray(0, 5000))), crc32(text));
  assert.equal(tableCrc32(Buffer.alloc(0)), 0);
});

test('a member far larger than a read piece: read whole, and damage in its middle located exactly', async () => {
  const r = mulberry32(7);
  const items = Array.from({ length: 40_000 }, (_, i) => JSON.stringify({ image_id: i, category_id: 1 + (i % 1203), bbox: [r() * 600, r() * 400, r() * 90, r() * 90], score: r() }));
  const text = Buffer.from(`[${items.join(', ')}]`);
  const good = tempFile(zipOf('preds.json', text, deflateRawSync(text)), '.json.zip');
  const { count, textBytes } = await streamTopLevelArray(good, () => {}, { windowBytes: 1 << 16 });
  assert.deepEqual({ count, textBytes }, { count: items.length, textBytes: text.length });
  assert.ok(text.length > 3 << 20, `${text.length} bytes: several 1 MiB pieces`);
  // A byte-aligned block boundary at `cut` (a full flush), then a block of the reserved type.
  const cut = 2_500_000;
  const second = Buffer.from(deflateRawSync(text.subarray(cut)));
  second[0] = second[0]! | 0b110;
  const broken = tempFile(zipOf('preds.json', text, Buffer.concat([deflateRawSync(text.subarray(0, cut), { finishFlush: constants.Z_FULL_FLUSH }), second])), '.json.zip');
  const err = await diagnosticOf(streamTopLevelArray(broken, () => {}));
  const d = err.diagnostics[0]!;
  assert.match(d.message, /the member is damaged: its compressed data is damaged \(invalid block type\) after 2500000 bytes of its text/);
  assert.deepEqual([d.location?.member, d.location?.offset], ['preds.json', cut]);
});

test('through the runner: the zip’s bytes key the cache (a touched zip is a hit, another zip of the same JSON is not)', async () => {
  const ws = new Workspace();
  try {
    ws.write('p.yaml', 'steps:\n  train: { type: load, options: { path: data/train.json.zip } }\n  stats: { type: stats, inputs: { dataset: train } }\n');
    ws.write('data/.keep', '');
    const run = () => runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: new StepRegistry([loadStep, statsStep]) });
    copyFileSync(zip('deflate.json.zip'), ws.path('data/train.json.zip'));
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(statuses(first.events), { train: 'ran', stats: 'ran' });
    assert.ok(first.events.some((e) => e.type === 'step-log' && /3 images, 34 annotations, 80 categories \(COCO format, 29\.3 kB of JSON, member "instances\.json" of the zip\)/.test(e.message)));
    copyFileSync(zip('deflate.json.zip'), ws.path('data/train.json.zip')); // new mtime, same bytes: read to be hashed, then found cached
    const touched = await run();
    assert.equal(statuses(touched.events).stats, 'cached');
    const finish = touched.events.find((e) => e.type === 'run-finish');
    assert.ok(finish?.type === 'run-finish' && finish.steps.find((st) => st.id === 'train')!.reasons.some((r) => /only touched/.test(r)));
    assert.deepEqual(statuses((await run()).events), { train: 'cached', stats: 'cached' });
    copyFileSync(zip('stored.json.zip'), ws.path('data/train.json.zip')); // the same JSON, other bytes
    assert.equal(statuses((await run()).events).train, 'ran');
  } finally {
    ws.remove();
  }
});
