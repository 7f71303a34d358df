/**
 * Steps that hash their files as they read them (`hashesFiles`, runner/exec/deferred-key.ts): on
 * a stat-cache miss the runner does not hash the file first; the step runs, reports the digest,
 * and the key, the stat-cache entry and the run record follow from it. With the test step
 * `read-hash` (test/helpers/runner-steps.ts), in process and in a worker thread.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import { StatCache } from '../src/runner/cache/file-digests.js';
import type { RunEvent } from '../src/runner/exec/events.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function pipeline(type: string, extra = ''): string {
  return `params:
  suffix: "!"
steps:
  src: { type: ${type}, options: { path: data/in.txt${extra} } }
  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }
  out: { type: write, inputs: { text: up }, options: { out: out/result.txt } }
sweep:
  grid:
    suffix: ["!", "?"]
`;
}

function logsOf(events: RunEvent[], stepId: string): string[] {
  return events.flatMap((e) => (e.type === 'step-log' && e.stepId === stepId ? [e.message] : []));
}

function hashingEvents(events: RunEvent[]): RunEvent[] {
  return events.filter((e) => e.type === 'hashing');
}

function statEntry(ws: Workspace, file: string): string | undefined {
  const cache = new StatCache(path.join(ws.cacheDir, 'statcache.json'));
  return cache.lookup(ws.path(file), statSync(ws.path(file)));
}

async function run(ws: Workspace, ...args: string[]) {
  const r = await runCli(['run', 'p.yaml', '--json', ...args], { cwd: ws.dir });
  return { ...r, status: r.events.length ? statuses(r.events) : {} };
}

for (const type of ['read-hash', 'read-hash-heavy']) {
  describe(`a step that hashes its file as it reads it (${type})`, () => {
    let ws: Workspace;
    before(() => {
      ws = new Workspace();
      ws.write('data/in.txt', 'hello world');
      ws.write('p.yaml', pipeline(type));
    });
    after(() => ws.remove());

    it('cold: the file is not hashed first; the step hashes it, and the stat cache records its digest', async () => {
      const r = await run(ws);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.status, { src: 'ran', up: 'ran', out: 'ran' });
      assert.deepEqual(hashingEvents(r.events), [], 'no separate hashing pass');
      assert.deepEqual(logsOf(r.events, 'src'), ['hashed while reading']);
      assert.equal(statEntry(ws, 'data/in.txt'), sha(ws.path('data/in.txt')));
      assert.equal(ws.read('out/result.txt'), 'HELLO WORLD!');
      // The key is the one the runner computes when it hashes the file itself (plan does).
      const rec = ws.records().find((x) => x.stepId === 'src')!;
      assert.deepEqual(rec.material.files, { 'data/in.txt': sha(ws.path('data/in.txt')) });
      rmSync(path.join(ws.cacheDir, 'statcache.json'));
      const plan = await runCli(['plan', 'p.yaml'], { cwd: ws.dir });
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /src\b.*cached/);
    });

    it('warm: a stat-cache hit, nothing read or hashed', async () => {
      await run(ws); // records the stat cache again (the previous test removed it)
      const r = await run(ws);
      assert.deepEqual(r.status, { src: 'cached', up: 'cached', out: 'cached' });
      assert.deepEqual(hashingEvents(r.events), []);
      assert.deepEqual(logsOf(r.events, 'src'), []);
    });

    it('a touched but identical file is read again, and its earlier result stands (the steps below are hits)', async () => {
      const later = new Date(Date.now() + 5000);
      utimesSync(ws.path('data/in.txt'), later, later);
      const r = await run(ws);
      assert.deepEqual(r.status, { src: 'ran', up: 'cached', out: 'cached' });
      assert.deepEqual(logsOf(r.events, 'src'), ['hashed while reading']);
      const fin = r.events.find((e) => e.type === 'run-finish');
      assert.ok(fin && fin.type === 'run-finish');
      const src = fin.steps.find((s) => s.id === 'src')!;
      assert.ok(src.reasons.some((x) => /only touched/.test(x)), src.reasons.join('; '));
      assert.equal(ws.records().filter((x) => x.stepId === 'src').length, 1, 'one valid record for the key');
      const again = await run(ws);
      assert.deepEqual(again.status, { src: 'cached', up: 'cached', out: 'cached' }, 'and the stat cache knows the new stat');
    });

    it('--force on a touched file records the forced run’s own result', async () => {
      const later = new Date(Date.now() + 9000);
      utimesSync(ws.path('data/in.txt'), later, later);
      const before = ws.records().filter((x) => x.stepId === 'src').length;
      const r = await run(ws, '--force', 'src');
      assert.equal(r.status.src, 'ran');
      assert.deepEqual(logsOf(r.events, 'src'), ['hashed while reading']);
      const fin = r.events.find((e) => e.type === 'run-finish');
      assert.ok(fin && fin.type === 'run-finish');
      assert.ok(!fin.steps.find((s) => s.id === 'src')!.reasons.some((x) => /only touched/.test(x)));
      assert.equal(ws.records().filter((x) => x.stepId === 'src').length, before + 1);
    });

    it('a file changed in place with the same size and mtime is read again (its ctime moved)', async () => {
      const file = ws.path('data/in.txt');
      const st = statSync(file);
      writeFileSync(file, 'HELLO there'.slice(0, st.size));
      utimesSync(file, st.atimeMs / 1000, st.mtimeMs / 1000);
      assert.equal(statSync(file).size, st.size);
      const r = await run(ws);
      assert.deepEqual(r.status, { src: 'ran', up: 'ran', out: 'ran' });
      assert.equal(ws.read('out/result.txt'), 'HELLO THERE!');
      writeFileSync(file, 'hello world');
    });

    it('a file changed while the step reads it is not recorded in the stat cache', async () => {
      ws.write('p.yaml', pipeline(type, ', append_after: " more"'));
      const r = await run(ws);
      assert.deepEqual(r.status.src, 'ran');
      assert.equal(statEntry(ws, 'data/in.txt'), undefined, 'no trusted digest');
      const finish = r.events.find((e) => e.type === 'step-finish' && e.stepId === 'src');
      assert.ok(finish && finish.type === 'step-finish');
      const rec = ws.records().find((x) => x.key === finish.key);
      assert.ok(rec, 'the run is recorded under the key of what it read');
      assert.deepEqual(rec.material.files, { 'data/in.txt': createHash('sha256').update('hello world').digest('hex') });
      ws.write('p.yaml', pipeline(type));
      ws.write('data/in.txt', 'hello world');
    });

    it('a step that does not report the digest it was asked for, or reports something else, fails, as a bug in its step type', async () => {
      ws.write('data/in.txt', 'hello again');
      for (const report of ['no', 'garbage']) {
        ws.write('p.yaml', pipeline(type, `, report: ${report}`));
        const r = await run(ws);
        assert.equal(r.code, 1);
        assert.deepEqual(r.status, { src: 'failed', up: 'skipped', out: 'skipped' });
        const failed = r.events.find((e) => e.type === 'step-failed');
        assert.ok(failed && failed.type === 'step-failed');
        assert.match(failed.error?.message ?? '', /did not report the sha256 of .*in\.txt.*hashesFiles/);
        assert.equal(statEntry(ws, 'data/in.txt'), undefined);
      }
      // The next run (fixed) runs it, and says why from the key material it had.
      ws.write('p.yaml', pipeline(type));
      const fixed = await run(ws);
      assert.deepEqual(fixed.status, { src: 'ran', up: 'ran', out: 'ran' });
      assert.equal(ws.read('out/result.txt'), 'HELLO AGAIN!');
    });
  });
}

describe('deferred keys with other readers and sweeps', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello world');
  });
  after(() => ws.remove());

  it('a file that a step reads without hashing it is hashed up front; the hashing step is given the digest', async () => {
    ws.write(
      'p.yaml',
      `steps:
  a: { type: read-hash, options: { path: data/in.txt } }
  b: { type: source, options: { path: data/in.txt } }
`,
    );
    const r = await run(ws);
    assert.deepEqual(r.status, { a: 'ran', b: 'ran' });
    assert.equal(hashingEvents(r.events).length, 1);
    assert.deepEqual(logsOf(r.events, 'a'), ['digest given: yes']);
  });

  it('sweep variants that read the same file with the same options read it once', async () => {
    const file = ws.path('data/in.txt');
    writeFileSync(file, 'fresh text');
    ws.write('p.yaml', pipeline('read-hash-heavy'));
    const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as RunEvent);
    const starts = events.filter((e) => e.type === 'step-start' && e.stepId === 'src');
    assert.equal(starts.length, 2);
    assert.equal(starts.filter((e) => e.type === 'step-start' && e.shared).length, 1, 'the second variant waits for the first one’s read');
    assert.equal(logsOf(events, 'src').length, 1, 'one read');
    assert.equal(statEntry(ws, 'data/in.txt'), sha(file));
    const finishes = events.filter((e) => e.type === 'step-finish' && e.stepId === 'src');
    assert.equal(new Set(finishes.map((e) => (e.type === 'step-finish' ? e.key : ''))).size, 1, 'one key');
  });
});

describe('why a step that hashes its file runs, and when the stat cache is saved', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello world');
    ws.write('data/other.txt', 'other words');
    // The marker is written relative to the process's folder: an absolute path keeps in-process runs out of the repository.
    ws.write('p.yaml', `params:\n  file: { type: path, default: data/in.txt }\n  ms: 0\nsteps:\n  src: { type: read-hash, options: { path: "\${params.file}" } }\n  slow: { type: sleep, inputs: { text: src }, options: { ms: "\${params.ms}", marker: ${JSON.stringify(ws.path('slow.txt'))} } }\n`);
  });
  after(() => ws.remove());

  const startReasons = (events: RunEvent[], id: string) => {
    const e = events.find((x) => x.type === 'step-start' && x.stepId === id);
    assert.ok(e && e.type === 'step-start', `${id} started`);
    return e.reasons.join('; ');
  };

  it('says a file is new to the step, or unknown to this cache, rather than "changed or was touched"', async () => {
    assert.equal((await run(ws)).code, 0);
    const other = await run(ws, '--set', 'file=data/other.txt');
    assert.match(startReasons(other.events, 'src'), /file data\/other\.txt is new to this step \(its last run read data\/in\.txt; hashed as the step reads it\)/);
    rmSync(path.join(ws.cacheDir, 'statcache.json'));
    const lost = await run(ws, '--set', 'file=data/other.txt');
    const why = startReasons(lost.events, 'src');
    assert.match(why, /file data\/other\.txt has not been hashed in this cache before/);
    assert.doesNotMatch(why, /changed or was touched/);
    const later = new Date(Date.now() + 5000);
    utimesSync(ws.path('data/other.txt'), later, later);
    const touched = await run(ws, '--set', 'file=data/other.txt');
    assert.match(startReasons(touched.events, 'src'), /file data\/other\.txt changed or was touched/);
  });

  it('saves the stat cache as soon as a file is hashed: a run killed later does not hash it again', async () => {
    const { spawnCli, waitFor } = await import('./helpers/runner-fixture.js');
    ws.write('data/big.txt', 'a large input');
    rmSync(ws.path('slow.txt'), { force: true });
    const a = spawnCli(['run', 'p.yaml', '--json', '--set', 'file=data/big.txt', '--set', 'ms=30000'], ws.dir);
    await waitFor(() => existsSync(ws.path('slow.txt')), 'the slow step after the hashing one');
    await waitFor(() => statEntry(ws, 'data/big.txt') === sha(ws.path('data/big.txt')), 'the stat cache to hold the hashed file');
    a.child.kill('SIGKILL');
    await a.exit;
    const again = await run(ws, '--set', 'file=data/big.txt');
    assert.equal(again.status.src, 'cached');
    assert.deepEqual(logsOf(again.events, 'src'), [], 'not read again');
  });
});
