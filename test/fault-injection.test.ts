/**
 * Fault injection with real processes: runs killed with SIGKILL at seeded random moments (no
 * cleanup code runs), and two runs started at once on one cache. After any of it, no out path
 * holds a partial file, and a rerun ends with outputs byte-identical to a clean run's.
 */
import { mulberry32 } from './helpers/seeded.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Workspace } from './helpers/runner-fixture.js';
import { OUTPUTS, outputBytes, writeLvisPipeline } from './helpers/integrity-fixture.js';

const CLI = fileURLToPath(new URL('../../bin/lvis-pipe.js', import.meta.url));
const KILLS = 20;

const seeded = mulberry32;

function runToEnd(ws: Workspace, ...args: string[]): { code: number; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, 'run', 'p.yaml', '-q', ...args], { cwd: ws.dir, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status ?? 1, stderr: r.stderr, ms: Date.now() - t0 };
}

/** Starts a run and SIGKILLs it after `ms`; resolves when it is gone. */
function runAndKill(ws: Workspace, ms: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'run', 'p.yaml', '-q'], { cwd: ws.dir, stdio: 'ignore', env: { ...process.env, CI: '1' } });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    }),
  );
}

describe('SIGKILL at random moments', () => {
  const ws = new Workspace();
  let clean: (string | undefined)[];
  let coldMs = 0;
  before(() => {
    writeLvisPipeline(ws);
    const r = runToEnd(ws);
    assert.equal(r.code, 0, r.stderr);
    coldMs = r.ms;
    clean = outputBytes(ws);
  });
  after(() => ws.remove());

  it(`${KILLS} kills: no partial file at an out path, and the rerun's outputs are byte-identical to a clean run's`, async () => {
    const random = seeded(20261202);
    const outcomes: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      rmSync(ws.path('.lvis-pipe'), { recursive: true, force: true });
      rmSync(ws.path('out'), { recursive: true, force: true });
      // From start-up to a little past the end: some kills land before any output, some after.
      const at = Math.round((0.1 + 1.1 * random()) * coldMs);
      await runAndKill(ws, at);
      // Whatever the moment: every out path is absent or whole.
      const after = outputBytes(ws);
      after.forEach((bytes, j) => assert.ok(bytes === undefined || bytes === clean[j], `kill ${i} at ${at} ms: ${OUTPUTS[j]} is partial`));
      outcomes.push(after.map((b) => (b === undefined ? '-' : '+')).join(''));
      const rerun = runToEnd(ws);
      assert.equal(rerun.code, 0, `kill ${i} at ${at} ms, then a rerun: ${rerun.stderr}`);
      assert.deepEqual(outputBytes(ws), clean, `kill ${i} at ${at} ms: outputs differ after the rerun`);
      // No temp file left beside the outputs either.
      const litter = existsSync(ws.path('out')) ? readdirSync(ws.path('out')).filter((n) => n.endsWith('.tmp')) : [];
      assert.deepEqual(litter, [], `kill ${i} at ${at} ms: temp files left in out/`);
    }
    // The kills landed at different stages (some before any output was written, some after).
    assert.ok(new Set(outcomes).size >= 2, `kills landed at varied moments: ${outcomes.join(' ')}`);
  });
});

describe('two runs at once on one cache', () => {
  it('both finish, one after the other (the lock), and neither run record is lost', async () => {
    const ws = new Workspace();
    try {
      writeLvisPipeline(ws);
      const start = (n: number) =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, [CLI, 'run', 'p.yaml', '-q', '--set', `total_images=${n}`], { cwd: ws.dir, stdio: 'ignore', env: { ...process.env, CI: '1' } });
          child.on('close', (code) => resolve(code ?? 1));
        });
      const codes = await Promise.all([start(30), start(50)]);
      assert.deepEqual(codes, [0, 0]);
      const history = readdirSync(ws.path('.lvis-pipe/history'));
      assert.equal(history.length, 2, 'two history records');
      // Whichever ran last wrote the outputs, whole; a clean rerun of either is all hits.
      const last = outputBytes(ws);
      assert.ok(last.every((b) => b !== undefined));
      for (const n of [30, 50]) assert.equal(runToEnd(ws, '--set', `total_images=${n}`).code, 0);
      assert.equal(readdirSync(ws.path('.lvis-pipe/history')).length, 4);
    } finally {
      ws.remove();
    }
  });
});
