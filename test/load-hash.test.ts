/**
 * `load` hashing its file in the same pass (LoadOptions.hash, base/pass-hash.ts): the digest is
 * the sha256 of the file on disk (the compressed bytes for gzip) whatever path the read takes
 * (small windows, a record longer than the window's front area, a file large enough for the
 * hashing thread, the strict re-read), the dataset is the one a load without hashing makes, and
 * through the runner a cold run learns the digest from the load and records it in the stat cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { encodeDataset, decodeDataset } from '../src/lvis/dataset/codec.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { HASH_THREAD_MIN_BYTES, InlineHash, ThreadHash } from '../src/base/pass-hash.js';
import { StatCache } from '../src/runner/cache/file-digests.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import loadStep from '../src/steps/load.js';
import statsStep from '../src/steps/stats.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';
import { diagnosticOf, pythonStyle, smallLvis, tempFile } from './load-helpers.js';

const SAMPLE = fileURLToPath(new URL('../../data/sample/', import.meta.url));
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function sameAsWithoutHash(file: string, opts: { windowBytes?: number } = {}) {
  const hashed = await loadDataset(file, { ...opts, hash: true });
  const plain = await loadDataset(file, { ...opts, parallel: false });
  assert.equal(hashed.sha256, sha(file));
  assert.equal(plain.sha256, undefined, 'no digest unless asked');
  assert.deepEqual(Buffer.from(encodeDataset(hashed.dataset)), Buffer.from(encodeDataset(plain.dataset)));
  return hashed;
}

test('the digest of a plain file, read through small windows, is its sha256; the dataset is unchanged', async () => {
  const file = tempFile(pythonStyle(smallLvis(50)));
  for (const windowBytes of [64, 1000, 1 << 20]) await sameAsWithoutHash(file, { windowBytes });
});

test('gzip: the digest is of the compressed file', async () => {
  const file = path.join(SAMPLE, 'lvis_v1_val_synth.json.gz');
  const r = await sameAsWithoutHash(file);
  assert.equal(r.dataset.source.encoding, 'gzip');
});

test('gzip of several members (as `cat a.gz b.gz` makes): the digest is of the whole file', async () => {
  const text = readFileSync(path.join(SAMPLE, 'lvis_v1_val_synth.json.gz'));
  const plain = gunzipSync(text);
  const file = tempFile(Buffer.concat([gzipSync(plain.subarray(0, 1000)), gzipSync(plain.subarray(1000))]), '.json.gz');
  await sameAsWithoutHash(file);
});

test('a file large enough for the hashing thread, with a record longer than the window’s front area', async () => {
  const doc = smallLvis(200);
  // A long `info` member first (read through a one-off buffer), then enough records to pass
  // the hashing thread's threshold.
  doc.info = { description: 'x'.repeat(3 << 20) };
  doc.licenses = [{ id: 1, name: 'y'.repeat(HASH_THREAD_MIN_BYTES) }];
  const file = tempFile(JSON.stringify(doc));
  assert.ok(statSync(file).size >= HASH_THREAD_MIN_BYTES);
  const r = await loadDataset(file, { hash: true, windowBytes: 1 << 20 });
  assert.equal(r.sha256, sha(file));
  assert.equal(r.threads, 1, 'one scanning thread while hashing');
});

test('the strict re-read after a fast scan gave up hashes the file too', async () => {
  const doc = smallLvis();
  doc.annotations[1]!.segmentation = [[1, 2, 3], [4, [5, 6]]];
  const file = tempFile(pythonStyle(doc));
  const r = await loadDataset(file, { hash: true });
  assert.equal(r.rereadStrictly, true);
  assert.equal(r.sha256, sha(file));
});

test('a bad file is still a plain diagnostic when hashing (and the hashing thread ends)', async () => {
  const doc = pythonStyle(smallLvis(10));
  const bad = tempFile(doc.replace('"annotations": [', '"annotations": [} '));
  const e = await diagnosticOf(loadDataset(bad, { hash: true }));
  assert.match(e.message, /expected/i);
  const truncated = tempFile(doc.slice(0, Math.floor(doc.length / 2)));
  await diagnosticOf(loadDataset(truncated, { hash: true }));
});

test('the hashing thread: blocks in order from shared buffers and copies, buffers released, the same digest as inline', async () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i},`).join(''));
  const thread = new ThreadHash();
  const inline = new InlineHash();
  const a = thread.alloc(1024);
  const b = thread.alloc(1024);
  let pos = 0;
  for (let k = 0; pos < data.length; k++) {
    const buf = k % 3 === 2 ? Buffer.allocUnsafe(800) : k % 2 === 0 ? a : b; // every third one is not shared: copied over
    await thread.released(buf);
    const n = Math.min(700, data.length - pos);
    data.copy(buf, 100, pos, pos + n);
    thread.update(buf, 100, 100 + n);
    inline.update(buf, 100, 100 + n);
    pos += n;
  }
  await thread.released(a);
  assert.ok(thread.isReleased(a) && thread.isReleased(b));
  const digest = createHash('sha256').update(data).digest('hex');
  assert.equal(await thread.digest(), digest);
  assert.equal(await inline.digest(), digest);
});

test('through the runner: a cold load reports its digest (no separate hashing), the stat cache records it, the dataset carries it', async () => {
  const ws = new Workspace();
  try {
    ws.write('p.yaml', 'steps:\n  train: { type: load, options: { path: data/train.json.gz } }\n  stats: { type: stats, inputs: { dataset: train } }\n');
    ws.write('data/.keep', '');
    copyFileSync(path.join(SAMPLE, 'lvis_v1_val_synth.json.gz'), ws.path('data/train.json.gz'));
    const registry = () => new StepRegistry([loadStep, statsStep]);
    const first = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(statuses(first.events), { train: 'ran', stats: 'ran' });
    assert.equal(first.events.filter((e) => e.type === 'hashing').length, 0);
    const file = ws.path('data/train.json.gz');
    const cache = new StatCache(path.join(ws.cacheDir, 'statcache.json'));
    assert.equal(cache.lookup(file, statSync(file)), sha(file));
    const rec = ws.records().find((r) => r.stepId === 'train')!;
    assert.deepEqual(rec.material.files, { 'data/train.json.gz': sha(file) });
    const ds = decodeDataset(new Uint8Array(readFileSync(path.join(ws.cacheDir, 'objects', rec.outputs.dataset!.digest.slice(0, 2), rec.outputs.dataset!.digest))));
    assert.equal(ds.source.contentDigest, sha(file));
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.deepEqual(statuses(again.events), { train: 'cached', stats: 'cached' });
    assert.equal(again.events.filter((e) => e.type === 'hashing').length, 0);
    // Touched, same bytes: the load reads (and hashes) it again, and its earlier record stands.
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const touched = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: registry() });
    assert.deepEqual(statuses(touched.events), { train: 'ran', stats: 'cached' });
    const bar = touched.events.find((e) => e.type === 'step-progress' && e.stepId === 'train');
    assert.ok(bar && bar.type === 'step-progress');
    assert.match(bar.label, /^reading and hashing train\.json\.gz$/);
    assert.equal(ws.records().filter((r) => r.stepId === 'train').length, 1, 'one record for the key');
    assert.equal(cache.lookup(file, statSync(file)), undefined, 'the old stat is not trusted');
    assert.equal(new StatCache(path.join(ws.cacheDir, 'statcache.json')).lookup(file, statSync(file)), sha(file), 'the new one is');
  } finally {
    ws.remove();
  }
});
