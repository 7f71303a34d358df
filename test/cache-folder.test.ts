/**
 * A cache folder the user chose badly (issue 24, items 4, 6, 7 and 8): a regular file where the
 * folder should be, a folder this user may not write to, and a full disk. Each gets one plain
 * message naming the folder and what to do, with a non-zero exit, never a stack trace, and
 * `cache verify` never calls a file "all intact".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_ENTRY, runCli, Workspace } from './helpers/runner-fixture.js';

const PIPELINE = `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  up: { type: upper, inputs: { text: src } }\n  out: { type: write, inputs: { text: up }, options: { out: out/result.txt } }\n`;
const NO_STACK = /\n\s+at |crashed|this is a bug/;

describe('a cache folder that is a regular file', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello');
    ws.write('p.yaml', PIPELINE);
    ws.write('cachefile', 'not a folder');
  });
  after(() => ws.remove());

  it('every command that uses the cache says so, exit 2, and leaves the file alone', async () => {
    const commands = [['run', 'p.yaml'], ['plan', 'p.yaml'], ['sweep', 'p.yaml', '--grid', 'x=1'], ['runs', 'p.yaml'], ['diff', 'p.yaml'], ['report', 'p.yaml'], ['cache', 'verify'], ['cache', 'gc'], ['cache', 'ls'], ['cache', 'clear']];
    for (const args of commands) {
      const r = await runCli([...args, '--cache-dir', 'cachefile'], { cwd: ws.dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /the cache folder cachefile is a file, not a folder; pass --cache-dir DIR/, args.join(' '));
      assert.doesNotMatch(r.stdout + r.stderr, /all intact|NOTDIR|EEXIST/, args.join(' '));
      assert.doesNotMatch(r.stderr, NO_STACK, args.join(' '));
    }
    const under = await runCli(['run', 'p.yaml', '--cache-dir', 'cachefile/sub'], { cwd: ws.dir });
    assert.equal(under.code, 2);
    assert.match(under.stderr, /the cache folder cachefile\/sub cannot be used: a file stands where a folder of the path should be \(ENOTDIR\)/);
    assert.equal(ws.read('cachefile'), 'not a folder');
    assert.equal(existsSync(ws.path('out/result.txt')), false, 'nothing ran');
  });
});

/** Runs the test CLI as an unprivileged user (when this process is root) or as is. */
function asUser(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const root = process.getuid?.() === 0;
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' }, ...(root ? { uid: 65534, gid: 65534 } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Why an unprivileged user cannot run the test CLI here (its files unreadable to it), if so. */
function unprivilegedSkip(cwd: string): string | false {
  if (process.getuid?.() !== 0) return false;
  const probe = asUser(['--version'], cwd);
  return probe.code === 0 ? false : `an unprivileged user cannot run ${CLI_ENTRY} here: ${probe.stderr.split('\n')[0]}`;
}

describe('a cache folder this user may not write to', () => {
  let ws: Workspace;
  before(async () => {
    ws = new Workspace();
    chmodSync(ws.dir, 0o755);
    ws.write('data/in.txt', 'hello');
    ws.write('p.yaml', PIPELINE);
    assert.equal((await runCli(['run', 'p.yaml', '--cache-dir', 'ro'], { cwd: ws.dir })).code, 0);
    mkdirSync(ws.path('out2'), { mode: 0o777 });
    chmodSync(ws.path('out2'), 0o777);
    for (const d of ['ro', 'ro/objects', 'ro/runs', 'ro/state', 'ro/history', 'ro/tmp']) chmodSync(ws.path(d), 0o555);
  });
  after(() => {
    chmodSync(ws.path('ro'), 0o755);
    ws.remove();
  });

  it('run and cache gc say which folder and why, exit 2; plan, runs and verify still read it', (t) => {
    const skip = unprivilegedSkip(ws.dir);
    if (skip) return t.skip(skip);
    const write = asUser(['run', 'p.yaml', '--cache-dir', 'ro'], ws.dir);
    for (const r of [write, asUser(['cache', 'gc', '--cache-dir', 'ro'], ws.dir)]) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /the cache folder ro: permission denied \(EACCES\) while taking its lock; pass --cache-dir DIR/);
      assert.doesNotMatch(r.stderr, NO_STACK);
    }
    const fresh = asUser(['run', 'p.yaml', '--cache-dir', 'ro/new'], ws.dir);
    assert.equal(fresh.code, 2);
    assert.match(fresh.stderr, /the cache folder ro\/new: permission denied \(EACCES\) while creating its folders/);
    for (const args of [['plan', 'p.yaml'], ['runs', 'p.yaml'], ['cache', 'verify']]) {
      const r = asUser([...args, '--cache-dir', 'ro'], ws.dir);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, NO_STACK);
    }
  });

  it('a cache of the user’s own whose tmp/ is read-only: the step says so, not "a bug"', (t) => {
    const skip = unprivilegedSkip(ws.dir);
    if (skip) return t.skip(skip);
    mkdirSync(ws.path('own'), { mode: 0o777 });
    chmodSync(ws.path('own'), 0o777);
    const pipeline = (suffix: string) => `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  up: { type: upper, inputs: { text: src }, options: { suffix: "${suffix}" } }\n`;
    ws.write('own/p.yaml', pipeline('!'));
    mkdirSync(ws.path('own/data'));
    ws.write('own/data/in.txt', 'hello');
    assert.equal(asUser(['run', 'p.yaml', '--cache-dir', 'c'], ws.path('own')).code, 0);
    chmodSync(ws.path('own/c/tmp'), 0o555);
    ws.write('own/p.yaml', pipeline('?'));
    const r = asUser(['run', 'p.yaml', '--cache-dir', 'c'], ws.path('own'));
    chmodSync(ws.path('own/c/tmp'), 0o755);
    assert.ok(r.code === 1 || r.code === 2, r.stderr);
    assert.match(r.stderr, /the cache folder c: permission denied \(EACCES\) while step `up` was writing its results; pass --cache-dir DIR/);
    // The run's own records go through tmp/ too: that is said the same way.
    assert.match(r.stderr, /the cache folder c: permission denied \(EACCES\) while recording the run/);
    assert.doesNotMatch(r.stderr, /needed|free\)/, 'no disk-space figures for a permission problem');
    assert.doesNotMatch(r.stderr, NO_STACK);
  });
});

/** Mounts a tmpfs of `size` at `dir` (root only); false when this machine does not allow it. */
function mountTmpfs(dir: string, size: string): boolean {
  if (process.getuid?.() !== 0) return false;
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}

describe('a cache folder on a full disk', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  let ws: Workspace;
  let mounted = false;
  before(() => {
    ws = new Workspace();
    // Room for the loaded datasets (~4.5 MB), not for the subset, the pruned val and the charts.
    mounted = mountTmpfs(ws.path('small'), '6m');
  });
  after(() => {
    if (mounted) spawnSync('umount', [ws.path('small')]);
    ws.remove();
  });

  it('a step whose results do not fit says which folder is full, how much it needed and what is free; no stack', (t) => {
    if (!mounted) return t.skip('needs root and tmpfs to make a small full disk');
    const cache = ws.path('small/cache');
    const out = ws.path('out');
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/lvis-pipe.js'), 'run', 'pipelines/mini-lvis.yaml', '--set', `out_dir=${out}`, '--set', 'total_images=300', '--cache-dir', cache], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, CI: '1' },
    });
    assert.equal(r.status, 1, r.stderr);
    const failed = [...r.stderr.matchAll(/the cache folder (\S+): no space left on the device \(ENOSPC\) while step `(\w+)` was writing its results \(at least ([\d.]+ [kMG]?B) needed, ([\d.]+ [kMG]?B) free\); free some space on that disk/g)];
    assert.ok(failed.length > 0, r.stderr);
    for (const m of failed) assert.ok(m[1]!.endsWith('small/cache'), m[1]);
    assert.ok(failed.some((m) => ['write', 'prune_val', 'prune_preds', 'plots', 'report'].includes(m[2]!)), r.stderr);
    assert.doesNotMatch(r.stderr, NO_STACK);
    // Worker threads too: a load that does not fit (1 MB) says so, and does not crash.
    const tiny = ws.path('tiny');
    if (mountTmpfs(tiny, '1m')) {
      try {
        const w = spawnSync(process.execPath, [path.join(repo, 'bin/lvis-pipe.js'), 'run', 'pipelines/mini-lvis.yaml', '--only', 'train', '--jobs', '2', '--set', `out_dir=${out}`, '--cache-dir', path.join(tiny, 'c')], { cwd: repo, encoding: 'utf8', env: { ...process.env, CI: '1' } });
        assert.equal(w.status, 1, w.stderr);
        assert.match(w.stderr, /the cache folder \S+tiny\/c: no space left on the device \(ENOSPC\) while step `train` was writing its results/);
        assert.doesNotMatch(w.stderr, NO_STACK);
      } finally {
        spawnSync('umount', [tiny]);
      }
    }
    // Nothing half-written: an output is whole (its cached object's bytes) or absent.
    const subset = path.join(out, 'mini_lvis_train.json');
    if (existsSync(subset)) assert.doesNotThrow(() => JSON.parse(readFileSync(subset, 'utf8')));
  });
});

describe('a cache on a disk with no byte left', () => {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  let ws: Workspace;
  let mounted = false;
  before(() => {
    ws = new Workspace();
    mounted = mountTmpfs(ws.path('disk'), '8m');
  });
  after(() => {
    if (mounted) spawnSync('umount', [ws.path('disk')]);
    ws.remove();
  });

  it('cache clear (and gc), which the messages recommend, still take the lock and free space; a run says the disk is full', (t) => {
    if (!mounted) return t.skip('needs root and tmpfs to make a full disk');
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(repo, 'bin/lvis-pipe.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, CI: '1' } });
    const cache = ws.path('disk/c');
    const first = cli('run', 'pipelines/mini-lvis.yaml', '--only', 'train', '--set', `out_dir=${ws.path('out')}`, '--cache-dir', cache);
    assert.equal(first.status, 0, first.stderr);
    spawnSync('dd', ['if=/dev/zero', `of=${ws.path('disk/fill')}`, 'bs=4k']);
    const run = cli('run', 'pipelines/mini-lvis.yaml', '--only', 'val', '--set', `out_dir=${ws.path('out')}`, '--cache-dir', cache);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /no space left on the device \(ENOSPC\)/);
    assert.doesNotMatch(run.stderr, NO_STACK);
    // A sweep whose folder is on the full disk too: its table cannot be written either.
    const sweep = cli('sweep', 'pipelines/mini-lvis.yaml', '--grid', 'total_images=300,400', '--no-chart', '--set', `out_dir=${ws.path('disk/out')}`, '--cache-dir', cache);
    assert.notEqual(sweep.status, 0);
    assert.match(sweep.stderr, /no space left on the device \(ENOSPC\)/);
    assert.doesNotMatch(sweep.stderr, NO_STACK);
    const gc = cli('cache', 'clear', '--cache-dir', cache);
    assert.equal(gc.status, 0, gc.stderr);
    assert.match(gc.stdout, /cleared .*: removed [1-9][\d.]* [kM]?B, freed [1-9]/);
    assert.equal(existsSync(path.join(cache, 'lock')), false, 'the lock is released');
  });
});

describe('a folder that is not a cache', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello');
    ws.write('p.yaml', PIPELINE);
    // A user's data folder named by mistake: `cache clear` once emptied it, exit 0.
    ws.write('mine/data/lvis/lvis_v1_train.json', 'precious');
    ws.write('mine/notes.txt', 'mine too');
  });
  after(() => ws.remove());

  it('is refused by every command, and nothing in it is touched or added', async () => {
    const commands = [['cache', 'clear'], ['cache', 'gc'], ['cache', 'ls'], ['cache', 'verify'], ['cache', 'verify', '--repair'], ['run', 'p.yaml'], ['plan', 'p.yaml'], ['runs', 'p.yaml']];
    for (const args of commands) {
      const r = await runCli([...args, '--cache-dir', 'mine'], { cwd: ws.dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /mine is not an lvis-pipe cache folder: it holds `data`, `notes\.txt`, and no CACHEDIR\.TAG/, args.join(' '));
      assert.doesNotMatch(r.stdout, /cleared|all intact|freed/, args.join(' '));
    }
    assert.equal(ws.read('mine/data/lvis/lvis_v1_train.json'), 'precious');
    assert.deepEqual(readdirSync(ws.path('mine')).sort(), ['data', 'notes.txt']);
    // Only names a cache also uses (TensorBoard's runs/): still not a cache.
    ws.write('tb/runs/exp1/model.pt', 'weights');
    for (const args of [['cache', 'clear'], ['run', 'p.yaml']]) {
      const r = await runCli([...args, '--cache-dir', 'tb'], { cwd: ws.dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /tb is not an lvis-pipe cache folder: it holds `runs` but no CACHEDIR\.TAG and no objects\//);
    }
    assert.equal(ws.read('tb/runs/exp1/model.pt'), 'weights');
  });

  it('a new folder that plan wrote into first is still taken by the first run', async () => {
    assert.equal((await runCli(['plan', 'p.yaml', '--cache-dir', 'fresh'], { cwd: ws.dir })).code, 0);
    const r = await runCli(['run', 'p.yaml', '--cache-dir', 'fresh'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(ws.path('fresh/CACHEDIR.TAG')));
  });

  it('a cache is tagged when first written; one made before the tag (no data/) is still a cache and gets tagged', async () => {
    assert.equal((await runCli(['run', 'p.yaml', '--cache-dir', 'c'], { cwd: ws.dir })).code, 0);
    assert.match(ws.read('c/CACHEDIR.TAG'), /^Signature: 8a477f597d28d172789f06886806bc55\n/);
    // With its tag, a cache holding a data/ folder is still one.
    mkdirSync(ws.path('c/data/images'), { recursive: true });
    assert.equal((await runCli(['cache', 'clear', '--cache-dir', 'c'], { cwd: ws.dir })).code, 0);
    // An older cache: the same folders, no tag.
    assert.equal((await runCli(['run', 'p.yaml', '--cache-dir', 'old'], { cwd: ws.dir })).code, 0);
    rmSync(ws.path('old/CACHEDIR.TAG'));
    rmSync(ws.path('old/data'), { recursive: true, force: true });
    const v = await runCli(['cache', 'verify', '--cache-dir', 'old'], { cwd: ws.dir });
    assert.equal(v.code, 0, v.stderr);
    assert.equal((await runCli(['run', 'p.yaml', '--cache-dir', 'old'], { cwd: ws.dir })).code, 0);
    assert.ok(existsSync(ws.path('old/CACHEDIR.TAG')), 'tagged by the next writer');
  });
});
