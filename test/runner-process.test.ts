/**
 * Crash safety and the lock, with the CLI as a child process: SIGKILL in the middle of a
 * step then a rerun, Ctrl-C, two concurrent runs on one cache, a dead owner's lock taken
 * over, and a lock wait that times out.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunEvent } from '../src/runner/exec/events.js';
import { spawnCli, statuses, waitFor, Workspace } from './helpers/runner-fixture.js';

const PIPELINE = `params:
  ms: 1500
steps:
  src: { type: source, options: { path: in.txt } }
  slow:
    type: sleep
    inputs: { text: src }
    options: { ms: "\${params.ms}", marker: started.txt, tag: "+slept" }
  up: { type: upper, inputs: { text: slow } }
  out: { type: write, inputs: { text: up }, options: { out: out/result.txt } }
`;

function events(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('crash safety and locking', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('in.txt', 'data');
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  it('SIGKILL in the middle of a step leaves it stale; the rerun takes over the lock and completes correctly', async () => {
    const a = spawnCli(['run', 'p.yaml', '--json'], ws.dir);
    await waitFor(() => existsSync(ws.path('started.txt')), 'the slow step to start');
    a.child.kill('SIGKILL');
    const ex = await a.exit;
    assert.equal(ex.signal, 'SIGKILL');
    // src finished before the kill and was recorded; slow was not.
    const recorded = ws.records().map((r) => r.stepId);
    assert.ok(recorded.includes('src'));
    assert.ok(!recorded.includes('slow'));
    assert.ok(existsSync(path.join(ws.cacheDir, 'lock')), 'the killed run left its lock');
    assert.ok(!existsSync(ws.path('out/result.txt')));

    rmSync(ws.path('started.txt'));
    const b = spawnCli(['run', 'p.yaml', '--json'], ws.dir);
    const done = await b.exit;
    assert.equal(done.code, 0, b.stderr());
    const ev = events(b.stdout());
    assert.ok(ev.some((e) => e.type === 'notice' && /taking over the lock .* is no longer running/.test(e.message)));
    assert.deepEqual(statuses(ev), { src: 'cached', slow: 'ran', up: 'ran', out: 'ran' });
    assert.equal(ws.read('out/result.txt'), 'DATA+SLEPT');
    assert.deepEqual(readdirSync(path.join(ws.cacheDir, 'tmp')), [], 'leftovers of the killed run are removed');
    assert.ok(!existsSync(path.join(ws.cacheDir, 'lock')), 'the lock is released');
  });

  it('Ctrl-C stops the running step, records nothing for it, releases the lock, exit 130', async () => {
    rmSync(ws.path('started.txt'), { force: true });
    const a = spawnCli(['run', 'p.yaml', '--json', '--set', 'ms=20000'], ws.dir);
    await waitFor(() => existsSync(ws.path('started.txt')), 'the slow step to start');
    a.child.kill('SIGINT');
    const ex = await a.exit;
    assert.equal(ex.code, 130);
    const ev = events(a.stdout());
    assert.deepEqual(statuses(ev), { src: 'cached', slow: 'interrupted', up: 'interrupted', out: 'interrupted' });
    assert.equal(ws.records().filter((r) => r.stepId === 'slow' && r.material.options.ms === 20000).length, 0);
    assert.ok(!existsSync(path.join(ws.cacheDir, 'lock')));
    assert.deepEqual(readdirSync(path.join(ws.cacheDir, 'tmp')), []);
    assert.equal(ws.lastRun().status, 'interrupted');
  });

  it('a second run on the same cache waits for the first, then finds everything cached', async () => {
    rmSync(ws.path('started.txt'), { force: true });
    const a = spawnCli(['run', 'p.yaml', '--json', '--set', 'ms=1200'], ws.dir);
    await waitFor(() => existsSync(ws.path('started.txt')), 'the first run to start its slow step');
    const b = spawnCli(['run', 'p.yaml', '--json', '--set', 'ms=1200'], ws.dir);
    await waitFor(() => /waiting for the cache lock held by pid \d+/.test(b.stdout()), 'the second run to wait');
    const [ea, eb] = await Promise.all([a.exit, b.exit]);
    assert.equal(ea.code, 0, a.stderr());
    assert.equal(eb.code, 0, b.stderr());
    assert.equal(statuses(events(a.stdout())).slow, 'ran');
    assert.deepEqual(statuses(events(b.stdout())), { src: 'cached', slow: 'cached', up: 'cached', out: 'cached' });
    const waited = events(b.stdout()).find((e) => e.type === 'notice');
    assert.ok(waited && waited.type === 'notice');
    assert.match(waited.message, new RegExp(`held by pid ${a.child.pid} `));
  });

  it('two runs on different caches writing to one output folder: the second waits, and the folder holds one run’s files', async () => {
    rmSync(ws.path('started.txt'), { force: true });
    ws.write(
      'two.yaml',
      `params:\n  tag: a\nsteps:\n  src: { type: source, options: { path: in.txt } }\n` +
        `  slow: { type: sleep, inputs: { text: src }, options: { ms: 1200, marker: started.txt, tag: "\${params.tag}" } }\n` +
        `  first: { type: write, inputs: { text: src }, options: { out: shared/first.txt, header: "\${params.tag}:" } }\n` +
        `  second: { type: write, inputs: { text: slow }, options: { out: shared/second.txt } }\n`,
    );
    const a = spawnCli(['run', 'two.yaml', '--json', '--set', 'tag=A', '--cache-dir', 'cache-a'], ws.dir);
    await waitFor(() => existsSync(ws.path('started.txt')), 'the first run to start its slow step');
    const b = spawnCli(['run', 'two.yaml', '--json', '--set', 'tag=B', '--cache-dir', 'cache-b'], ws.dir);
    await waitFor(() => /waiting for the lock of the output folder shared held by pid \d+/.test(b.stdout()), 'the second run to wait');
    assert.ok(!existsSync(ws.path('cache-b/runs')) || readdirSync(ws.path('cache-b/runs')).length === 0, 'the second run ran nothing while waiting');
    const [ea, eb] = await Promise.all([a.exit, b.exit]);
    assert.equal(ea.code, 0, a.stderr());
    assert.equal(eb.code, 0, b.stderr());
    assert.equal(ws.read('shared/first.txt'), 'B:data');
    assert.equal(ws.read('shared/second.txt'), 'dataB');
    assert.deepEqual(readdirSync(ws.path('shared')).sort(), ['first.txt', 'second.txt'], 'no lock file is left');
  });

  it('a lock held by a live process makes a run fail clearly after --lock-timeout', async () => {
    const lock = path.join(ws.cacheDir, 'lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2024-01-01T00:00:00.000Z', command: 'test holder' }));
    try {
      const b = spawnCli(['run', 'p.yaml', '--lock-timeout', '0.3'], ws.dir);
      const ex = await b.exit;
      assert.equal(ex.code, 75, 'EX_TEMPFAIL: nothing failed, try again later');
      assert.match(b.stderr(), new RegExp(`timed out after 300 ms waiting for the cache lock .* held by pid ${process.pid} on .* \\(test holder\\) since 2024-01-01`));
      assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid, 'the live owner keeps its lock');
    } finally {
      rmSync(lock, { force: true });
    }
    // An output folder's lock names the folder once, not the folder and then its lock file.
    const outLock = ws.path('out/.lvis-pipe.lock');
    writeFileSync(outLock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2024-01-01T00:00:00.000Z', command: 'test holder' }));
    try {
      const c = spawnCli(['run', 'p.yaml', '--lock-timeout', '0.3'], ws.dir);
      assert.equal((await c.exit).code, 75);
      assert.match(c.stderr(), /timed out after 300 ms waiting for the lock of the output folder out, held by pid \d+/);
      assert.doesNotMatch(c.stderr(), /\.lvis-pipe\.lock/);
    } finally {
      rmSync(outLock, { force: true });
    }
  });

  it('a lock left by a dead process is taken over with a message', async () => {
    const lock = path.join(ws.cacheDir, 'lock');
    const pid = deadPid();
    writeFileSync(lock, JSON.stringify({ pid, host: hostname(), startedAt: '2024-01-01T00:00:00.000Z', command: 'crashed run' }));
    const b = spawnCli(['run', 'p.yaml'], ws.dir);
    const ex = await b.exit;
    assert.equal(ex.code, 0, b.stderr());
    assert.match(b.stdout(), new RegExp(`taking over the lock of .*lock: its owner \\(pid ${pid}, started 2024-01-01T00:00:00.000Z\\) is no longer running`));
    assert.ok(!existsSync(lock));
  });
});
