/**
 * `lvis-pipe cache gc --drop-intermediate`: the cache keeps only what backs output files (which
 * the output folder hard-links), so it costs almost no disk beyond them; the next run computes
 * the dropped steps again as plain misses (no damage reported) and its outputs are the same.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunEvent } from '../src/runner/exec/events.js';
import { runCli, Workspace, type CliResult } from './helpers/runner-fixture.js';
import { filesBelow, lastHistory, LVIS_REGISTRY, OUTPUTS, outputBytes, writeLvisPipeline } from './helpers/integrity-fixture.js';

const run = (ws: Workspace): Promise<CliResult> => runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir, registry: LVIS_REGISTRY });

function statuses(r: CliResult): Record<string, string> {
  const fin = r.events.find((e): e is Extract<RunEvent, { type: 'run-finish' }> => e.type === 'run-finish');
  return Object.fromEntries((fin?.steps ?? []).map((s) => [s.id, s.status]));
}

describe('cache gc --drop-intermediate', () => {
  const ws = new Workspace();
  let clean: (string | undefined)[];
  before(async () => {
    writeLvisPipeline(ws);
    const r = await run(ws);
    assert.equal(r.code, 0, r.stderr);
    clean = outputBytes(ws);
  });
  after(() => ws.remove());

  it('--dry-run says what it would free and removes nothing', async () => {
    const before = filesBelow(ws.path('.lvis-pipe/objects')).length;
    const r = await runCli(['cache', 'gc', 'p.yaml', '--drop-intermediate', '--dry-run'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /would remove \d+ run records of \d+ keys and \d+ objects: would free /);
    assert.equal(filesBelow(ws.path('.lvis-pipe/objects')).length, before);
  });

  it('keeps only the objects behind output files, and the output files themselves', async () => {
    const h = lastHistory(ws);
    const fileDigests = new Set(Object.values(h.steps).flatMap((s) => Object.values(s.outputs).filter((o) => o.storage === 'file').map((o) => o.digest)));
    const valueOfFileSteps = new Set(
      Object.values(h.steps)
        .filter((s) => Object.values(s.outputs).some((o) => o.storage === 'file'))
        .flatMap((s) => Object.values(s.outputs).map((o) => o.digest)),
    );
    const r = await runCli(['cache', 'gc', 'p.yaml', '--drop-intermediate', '--json'], { cwd: ws.dir, registry: LVIS_REGISTRY });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { removedKeys: number; removedObjects: number; bytesFreed: number };
    // train, val, stats, mix, histograms, quotas, sample, kept: eight steps without an output file.
    assert.equal(res.removedKeys, 8);
    assert.ok(res.bytesFreed > 0);
    const left = filesBelow(ws.path('.lvis-pipe/objects')).map((f) => path.basename(f));
    assert.ok(left.length > 0);
    for (const d of left) assert.ok(valueOfFileSteps.has(d), `object ${d} belongs to a step with an output file`);
    for (const d of fileDigests) assert.ok(left.includes(d), `output object ${d} kept`);
    assert.ok(!left.includes(h.steps.train!.outputs.dataset!.digest), 'the parsed train dataset is gone');
    assert.deepEqual(outputBytes(ws), clean);
    for (const f of OUTPUTS) assert.ok(statSync(ws.path(f)).nlink >= 2, `${f} is still a link to its cache object`);
  });

  it('the next run computes the dropped steps again, reports no damage, and writes the same outputs', async () => {
    const r = await run(ws);
    assert.equal(r.code, 0, r.stderr);
    const st = statuses(r);
    for (const id of ['train', 'val', 'stats', 'mix', 'histograms', 'quotas', 'sample', 'kept']) assert.equal(st[id], 'ran', id);
    assert.equal(st.write, 'cached');
    assert.equal(st.prune_val, 'cached');
    assert.deepEqual(r.events.filter((e) => e.type === 'notice'), [], 'a dropped result is a plain miss, not damage');
    assert.equal(lastHistory(ws).repairs, undefined);
    assert.deepEqual(outputBytes(ws), clean);
    const again = await run(ws);
    assert.ok(Object.values(statuses(again)).every((s) => s === 'cached'));
  });
});
