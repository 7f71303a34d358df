/** Output files: placed from the store, restored, replaced, and never a way to fool the cache. */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Workspace } from './helpers/runner-fixture.js';
import { ALL_CACHED, run, setup } from './helpers/cache-pipeline.js';

describe('output files', () => {
  let ws: Workspace;
  before(async () => {
    ws = setup();
    assert.equal((await run(ws)).code, 0);
  });
  after(() => ws.remove());

  it('a deleted output file is restored from the store without recomputing', async () => {
    rmSync(ws.path('out/result.txt'));
    const r = await run(ws);
    assert.deepEqual(r.status, ALL_CACHED);
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
  });

  it('an output file replaced by the user (as editors save) is rewritten from the store', async () => {
    rmSync(ws.path('out/result.txt'));
    writeFileSync(ws.path('out/result.txt'), 'HELLO WORLD!+other texT'); // same size, other content
    const r = await run(ws);
    assert.deepEqual(r.status, ALL_CACHED);
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
  });

  it('output files are hard links to the read-only objects: one copy on disk, and nothing to write through', async () => {
    const rec = ws.records().find((x) => x.stepId === 'out')!;
    const digest = rec.outputs.file!.digest;
    const obj = ws.path('.lvis-pipe', 'objects', digest.slice(0, 2), digest);
    assert.equal(statSync(obj).mode & 0o222, 0);
    assert.equal(statSync(ws.path('out/result.txt')).ino, statSync(obj).ino, 'the same file');
    assert.equal(statSync(ws.path('out/result.txt')).mode & 0o222, 0, 'read-only, like the object');
    assert.equal(readFileSync(obj, 'utf8'), 'HELLO WORLD!+other text');
  });

  it('an output written in place anyway (root ignores the mode) never fools the cache: the damage is found and recomputed', async () => {
    writeFileSync(ws.path('out/result.txt'), 'HELLO WORLD!+other texT'); // through the link, into the object
    const r = await run(ws);
    assert.equal(r.code, 0);
    // The object is shared by content: `both`'s value and `out`'s file are the same bytes, so the
    // first step that needs it finds the damage and recomputes it.
    assert.ok(Object.values(r.status).includes('ran'), 'the damaged object was quarantined and recomputed');
    assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!+other text');
    assert.ok(r.events.some((e) => e.type === 'notice' && /failed its check \(its content does not match its sha256\)/.test(e.message)));
    assert.deepEqual((await run(ws)).status, ALL_CACHED);
  });

  it('a run record is written only with every output in the store; a missing object means a rerun', async () => {
    const rec = ws.records().find((x) => x.stepId === 'up')!;
    const digest = rec.outputs.text!.digest;
    rmSync(ws.path('.lvis-pipe', 'objects', digest.slice(0, 2), digest), { force: true });
    const r = await run(ws);
    assert.equal(r.status.up, 'ran');
    assert.equal(r.status.src, 'cached');
    const start = r.events.find((e) => e.type === 'step-start' && e.stepId === 'up');
    assert.ok(start && start.type === 'step-start');
    assert.deepEqual(start.reasons, ['outputs missing from the cache']);
  });
});


describe('output files of a step that failed or was skipped', () => {
  it('are removed, with a notice, so that the folder never mixes an earlier run’s files with this one’s', async () => {
    const { runCli, statuses, Workspace: W } = await import('./helpers/runner-fixture.js');
    const { existsSync } = await import('node:fs');
    const ws = new W();
    try {
      ws.write('data/in.txt', 'hello');
      ws.write('ok.yaml', 'steps:\n  src: { type: source, options: { path: data/in.txt } }\n  keep: { type: write, inputs: { text: src }, options: { out: out/keep.txt } }\n  res: { type: write, inputs: { text: src }, options: { out: out/res.txt } }\n');
      assert.equal((await runCli(['run', 'ok.yaml'], { cwd: ws.dir })).code, 0);
      // Two outputs of the same content are links to one object: a rerun must not take them for one file.
      const again = await runCli(['run', 'ok.yaml', '--json'], { cwd: ws.dir });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.deepEqual(statuses(again.events), { src: 'cached', keep: 'cached', res: 'cached' });
      // The same outputs, but `res` now hangs below a step that fails.
      ws.write('bad.yaml', 'steps:\n  src: { type: source, options: { path: data/in.txt } }\n  broken: { type: fail }\n  keep: { type: write, inputs: { text: src }, options: { out: out/keep.txt } }\n  res: { type: write, inputs: { text: broken }, options: { out: out/res.txt } }\n');
      const r = await runCli(['run', 'bad.yaml', '--json'], { cwd: ws.dir });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(statuses(r.events).res, 'skipped');
      assert.equal(existsSync(ws.path('out/res.txt')), false, 'the earlier run’s file is gone');
      assert.equal(ws.read('out/keep.txt'), 'hello', 'this run’s files stay');
      assert.ok(r.events.some((e) => e.type === 'notice' && /^res: removed out\/res\.txt, an earlier run's \(this run's step skipped\)$/.test(e.message)));
    } finally {
      ws.remove();
    }
  });
});
