/**
 * The optional step hooks of the contract:
 * - `afterRun`: a step whose product is a view of the whole run (which steps ran or were cache
 *   hits) gets the run's record after every run, cache hits included; a hook that fails does
 *   not undo the run's results.
 * - `check`: rules a JSON Schema cannot state, reported at validation time with the others.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

describe('step hooks: afterRun and check', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello');
  });
  after(() => ws.remove());

  const pipeline = (failAfter: boolean) =>
    `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  up: { type: upper, inputs: { text: src }, options: { suffix: "!" } }\n` +
    `  view: { type: digest, inputs: { text: up }, options: { out: view.txt, fail_after: ${failAfter} } }\n`;

  it('runs after a run that executed the step and after one where it was a cache hit, with that run’s statuses', async () => {
    ws.write('p.yaml', pipeline(false));
    const first = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(first.code, 0);
    const firstView = ws.read('view.txt').split('\n');
    const firstRun = first.events.find((e) => e.type === 'run-start');
    assert.ok(firstRun && firstRun.type === 'run-start');
    assert.equal(firstView[0], firstRun.runId);
    assert.deepEqual(firstView.slice(1, 4).sort(), ['src ran', 'up ran', 'view ran']);
    assert.equal(firstView[4], 'HELLO!');
    assert.ok(first.events.some((e) => e.type === 'notice' && e.message.startsWith('view: wrote ') && e.message.endsWith('view.txt')));

    const second = await runCli(['run', 'p.yaml', '--json'], { cwd: ws.dir });
    assert.equal(second.code, 0);
    assert.deepEqual(statuses(second.events), { src: 'cached', up: 'cached', view: 'cached' });
    const secondView = ws.read('view.txt').split('\n');
    assert.notEqual(secondView[0], firstView[0], 'the view is rewritten for the new run');
    assert.deepEqual(secondView.slice(1, 4).sort(), ['src cached', 'up cached', 'view cached']);
    assert.equal(secondView[4], 'HELLO!', 'the hook gets the decoded cached output');
  });

  it('a failing hook is reported as a notice and the run still succeeds with its results cached', async () => {
    ws.write('q.yaml', pipeline(true));
    const run = await runCli(['run', 'q.yaml', '--json', '--cache-dir', 'c2'], { cwd: ws.dir });
    assert.equal(run.code, 0);
    assert.ok(run.events.some((e) => e.type === 'notice' && e.message.includes('view: after the run: Error: digest hook failed on purpose')));
    const again = await runCli(['run', 'q.yaml', '--json', '--cache-dir', 'c2'], { cwd: ws.dir });
    assert.deepEqual(statuses(again.events), { src: 'cached', up: 'cached', view: 'cached' });
  });

  it('is not called for a step that failed or was skipped', async () => {
    ws.write('r.yaml', `steps:\n  bad: { type: fail, options: { message: boom } }\n  view: { type: digest, inputs: { text: bad }, options: { out: never.txt } }\n`);
    const run = await runCli(['run', 'r.yaml', '--json', '--cache-dir', 'c3'], { cwd: ws.dir });
    assert.equal(run.code, 1);
    assert.equal(statuses(run.events).view, 'skipped');
    assert.equal(existsSync(ws.path('never.txt')), false);
  });

  it('a step’s check() problems are reported with the other validation errors, at the step, and nothing runs', async () => {
    ws.write(
      'bad.yaml',
      `steps:\n  src: { type: source, options: { path: data/in.txt } }\n  view:\n    type: digest\n    inputs: { text: src }\n    options: { out: view.html }\n  other: { type: upper, options: { nope: 1 } }\n`,
    );
    const r = await runCli(['validate', 'bad.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    const out = r.stdout + r.stderr;
    assert.match(out, /bad\.yaml:6:21: step `view` \(type `digest`\): `out` must name a \.txt file/);
    assert.match(out, /bad\.yaml:7:\d+: .*unknown option `nope`/, 'reported together with the schema errors');
    const run = await runCli(['run', 'bad.yaml', '--cache-dir', 'c4'], { cwd: ws.dir });
    assert.equal(run.code, 2);
    assert.equal(existsSync(ws.path('view.html')), false);
  });
});

describe('report --out never writes over a file of the run', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello');
    ws.write('p.yaml', `params:\n  input: data/in.txt\nsteps:\n  src: { type: source, options: { path: "\${params.input}" } }\n  up: { type: upper, inputs: { text: src } }\n  w: { type: write, inputs: { text: up }, options: { out: out/up.txt } }\n  view: { type: digest, inputs: { text: up }, options: { out: view.txt } }\n`);
  });
  after(() => ws.remove());

  it('refuses an input (by its path, a hard link or a symlink), an output, and an input of the run that only its record knows; writes elsewhere', async () => {
    ws.write('data/other.txt', 'other input');
    const run = await runCli(['run', 'p.yaml', '--set', 'input=data/other.txt'], { cwd: ws.dir });
    assert.equal(run.code, 0, run.stderr);
    const { linkSync, symlinkSync } = await import('node:fs');
    linkSync(ws.path('data/other.txt'), ws.path('hard.txt'));
    symlinkSync(ws.path('data'), ws.path('data-link'));
    const cases: [string, RegExp][] = [
      // The pipeline resolved now reads data/in.txt; the run being reported read data/other.txt.
      ['data/in.txt', /--out data\/in\.txt is the input `path` of step `src`: writing it would replace that file/],
      ['data/other.txt', /--out data\/other\.txt is a file step `src` of run [0-9a-f]+ read/],
      ['hard.txt', /--out hard\.txt is a file step `src` of run [0-9a-f]+ read \(data\/other\.txt, the same file through a link\)/],
      ['data-link/other.txt', /is a file step `src` of run [0-9a-f]+ read/],
      ['out/up.txt', /--out out\/up\.txt is the output `file` of step `w`/],
    ];
    for (const [out, message] of cases) {
      const before = ws.read(out);
      const r = await runCli(['report', 'p.yaml', '--out', out], { cwd: ws.dir });
      assert.equal(r.code, 2, `${out}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, out);
      assert.equal(ws.read(out), before, `${out} is unchanged`);
    }
    const ok = await runCli(['report', 'p.yaml', '--out', 'elsewhere.txt'], { cwd: ws.dir });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ws.read('elsewhere.txt'), /^src ran$/m);
    const own = await runCli(['report', 'p.yaml', '--out', 'view.txt'], { cwd: ws.dir });
    assert.equal(own.code, 0, 'the report step’s own file is where the report goes anyway');
  });

  it('refuses the pipeline file, the --params file, the config file and anything in the cache', async () => {
    ws.write('params.yaml', 'input: data/in.txt\n');
    ws.write('.lvis-piperc.yaml', 'jobs: 1\n');
    const { readdirSync } = await import('node:fs');
    const history = readdirSync(ws.path('.lvis-pipe/history'))[0]!;
    const cases: [string[], RegExp][] = [
      [['--out', 'p.yaml'], /--out p\.yaml is the pipeline file: writing it would replace that file/],
      [['--params', 'params.yaml', '--out', 'params.yaml'], /--out params\.yaml is the --params file/],
      [['--out', '.lvis-piperc.yaml'], /--out \.lvis-piperc\.yaml is the config file/],
      [['--out', `.lvis-pipe/history/${history}`], /is inside the cache folder \.lvis-pipe: writing there would damage the cache/],
      [['--out', '.lvis-pipe/statcache.json'], /is inside the cache folder/],
    ];
    for (const [args, message] of cases) {
      const target = args[args.length - 1]!;
      const before = ws.read(target);
      const r = await runCli(['report', 'p.yaml', ...args], { cwd: ws.dir });
      assert.equal(r.code, 2, `${target}: ${r.stderr}`);
      assert.match(r.stderr, message, target);
      assert.equal(ws.read(target), before, `${target} is unchanged`);
    }
    rmSync(ws.path('.lvis-piperc.yaml'));
  });

  it('refuses a path in a folder the run reads (a local images folder) and in a step’s sync folder', async () => {
    ws.write('coco/train2017/0001.jpg', 'jpeg bytes');
    ws.write('names.txt', 'a,b');
    ws.write('m.yaml', `steps:\n  src: { type: source, options: { path: names.txt } }\n  files: { type: mirror, inputs: { text: src }, options: { dir: placed, from: coco } }\n  view: { type: digest, inputs: { text: src }, options: { out: m-view.txt } }\n`);
    assert.equal((await runCli(['run', 'm.yaml', '--cache-dir', 'cm'], { cwd: ws.dir })).code, 0);
    const read = await runCli(['report', 'm.yaml', '--cache-dir', 'cm', '--out', 'coco/train2017/0001.jpg'], { cwd: ws.dir });
    assert.equal(read.code, 2, read.stderr);
    assert.match(read.stderr, /--out coco\/train2017\/0001\.jpg is inside the folder `from` of step `files` \(coco\), which the run reads/);
    assert.equal(ws.read('coco/train2017/0001.jpg'), 'jpeg bytes');
    const kept = await runCli(['report', 'm.yaml', '--cache-dir', 'cm', '--out', 'placed/r.html'], { cwd: ws.dir });
    assert.equal(kept.code, 2, kept.stderr);
    assert.match(kept.stderr, /is inside the folder `dir` of step `files` \(placed\), which keeps only that step's files/);
  });
});
