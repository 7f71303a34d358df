/** Output paths ending in .gz are written gzip-compressed (streamed, atomic), and load reads them back. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadDataset } from '../src/lvis/load/load.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';
import { LVIS_REGISTRY, writeLvisPipeline } from './helpers/integrity-fixture.js';

it('write and prune-gt outputs named .json.gz are gzip, hold the plain run’s bytes, reload, and are cached apart from the plain ones', async () => {
  const ws = new Workspace();
  try {
    writeLvisPipeline(ws);
    const run = (...args: string[]) => runCli(['run', 'p.yaml', '-q', ...args], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal((await run()).code, 0);
    const plain = [readFileSync(ws.path('out/train_mini.json')), readFileSync(ws.path('out/val_pruned.json'))];
    ws.write('p.yaml', ws.read('p.yaml').replace('out/train_mini.json', 'out/train_mini.json.gz').replace('out/val_pruned.json', 'out/val_pruned.json.gz'));
    const r = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(r.code, 0, r.stderr);
    const fin = r.events.find((e) => e.type === 'run-finish');
    assert.ok(fin && fin.type === 'run-finish');
    // The compressed files are new results (the key knows the format), not the plain bytes renamed.
    assert.equal(fin.steps.find((s) => s.id === 'write')!.status, 'ran');
    assert.equal(fin.steps.find((s) => s.id === 'sample')!.status, 'cached');
    const gz = [readFileSync(ws.path('out/train_mini.json.gz')), readFileSync(ws.path('out/val_pruned.json.gz'))];
    for (const [i, bytes] of gz.entries()) {
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic');
      assert.ok(bytes.length < plain[i]!.length / 2, 'actually compressed');
      assert.ok(gunzipSync(bytes).equals(plain[i]!), 'the same JSON as the plain run');
    }
    const back = await loadDataset(ws.path('out/train_mini.json.gz'));
    const plainBack = await loadDataset(ws.path('out/train_mini.json'));
    assert.equal(back.dataset.images.count, plainBack.dataset.images.count);
    assert.deepEqual(Array.from(back.dataset.annotations.id), Array.from(plainBack.dataset.annotations.id));
    // Back to the plain names: a cache hit, not a rewrite.
    ws.write('p.yaml', ws.read('p.yaml').replaceAll('.json.gz', '.json'));
    const again = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    const fin2 = again.events.find((e) => e.type === 'run-finish');
    assert.ok(fin2 && fin2.type === 'run-finish' && fin2.steps.every((s) => s.status === 'cached'));
  } finally {
    ws.remove();
  }
});
