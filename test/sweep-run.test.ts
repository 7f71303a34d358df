/**
 * `lvis-pipe sweep` on the runner's test steps: a 2×2 grid whose shared steps run once (from
 * the run records and the history), a second sweep that is all cache hits, per-variant
 * output folders that never collide, a failing variant that does not stop the others,
 * CPU-heavy steps of two variants running in two worker threads at once, the comparison
 * table (sorted, CSV, JSON, chart), and the errors a sweep reports before running anything.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, rmSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DiagnosticError } from '../src/base/diagnostic.js';
import type { RunEvent } from '../src/runner/exec/events.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { StepModule } from '../src/runner/step/step.js';
import { type HistoryRecord } from '../src/runner/cache/records.js';
import type { SweepReport } from '../src/runner/sweep/report.js';
import { runCli, spawnCli, waitFor, Workspace } from './helpers/runner-fixture.js';
import { TEST_STEPS } from './helpers/runner-steps.js';

const PIPELINE = `params:
  suffix: "!"
  rounds: 200
steps:
  src: { type: source, options: { path: data/in.txt } }
  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }
  heavy: { type: heavy, inputs: { text: up }, options: { rounds: "\${params.rounds}" } }
  n: { type: count, inputs: { text: heavy } }
  out: { type: write, inputs: { text: heavy }, options: { out: out/result.txt } }
sweep:
  grid:
    suffix: ["!", "?"]
    rounds: [200, 300]
  sort_by: chars
`;

function jsonEvents(stdout: string): RunEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
}

function sweepResult(events: RunEvent[]): SweepReport {
  const fin = events.find((e) => e.type === 'sweep-finish');
  assert.ok(fin && fin.type === 'sweep-finish', 'a sweep-finish event');
  return fin.result;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The history records of one sweep. */
function sweepHistory(ws: Workspace, sweepId: string): HistoryRecord[] {
  return ws.history().filter((h) => h.sweep?.id === sweepId);
}

describe('sweep: a 2×2 grid through one cache', () => {
  let ws: Workspace;
  let first: { code: number; stdout: string; stderr: string; events: RunEvent[] };
  before(async () => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello world');
    ws.write('p.yaml', PIPELINE);
    const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2'], { cwd: ws.dir });
    first = { ...r, events: jsonEvents(r.stdout) };
  });
  after(() => ws.remove());

  it('runs every variant; the steps they share run once (one run record per key)', () => {
    assert.equal(first.code, 0, first.stderr);
    const result = sweepResult(first.events);
    assert.equal(result.variants.length, 4);
    assert.ok(result.variants.every((v) => v.status === 'ok'));
    const records = ws.records();
    const byStep = (id: string) => records.filter((r) => r.stepId === id);
    // src: the same key in every variant; up: one key per suffix; the rest: one per variant.
    assert.equal(byStep('src').length, 1);
    assert.equal(byStep('up').length, 2);
    assert.equal(new Set(byStep('up').map((r) => r.key)).size, 2);
    for (const id of ['heavy', 'n', 'out']) assert.equal(new Set(byStep(id).map((r) => r.key)).size, 4, id);
    for (const id of ['heavy', 'n', 'out']) assert.equal(byStep(id).length, 4, id);

    // The history says the same: src ran in one variant, the others waited for it or hit its record.
    const hist = sweepHistory(ws, result.sweepId);
    assert.equal(hist.length, 4);
    const src = hist.map((h) => h.steps.src!);
    assert.equal(src.filter((s) => s.status === 'ran' && !s.shared).length, 1);
    assert.ok(src.every((s) => (s.status === 'ran' && s.shared) || s.status === 'cached' || (s.status === 'ran' && !s.shared)));
    const upRan = hist.map((h) => h.steps.up!).filter((s) => s.status === 'ran' && !s.shared);
    assert.equal(upRan.length, 2, 'each of the two `up` keys executed once');
    // Each variant's record names its sweep and its varying params.
    assert.deepEqual(hist.map((h) => h.sweep!.varying).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [
      { suffix: '!', rounds: 200 },
      { suffix: '!', rounds: 300 },
      { suffix: '?', rounds: 200 },
      { suffix: '?', rounds: 300 },
    ]);
  });

  it('puts each variant’s output file in its own folder, named by its params, and none at the plain path', () => {
    const result = sweepResult(first.events);
    const dir = ws.path('out/sweep');
    const folders = readdirSync(dir).filter((n) => !n.includes('.csv') && !n.includes('.json') && !n.endsWith('.svg') && !n.endsWith('.png'));
    assert.deepEqual(folders.sort(), ['suffix=%21,rounds=200', 'suffix=%21,rounds=300', 'suffix=%3F,rounds=200', 'suffix=%3F,rounds=300']);
    assert.equal(existsSync(ws.path('out/result.txt')), false, 'the plain output path is left alone');
    const contents = new Set<string>();
    for (const h of sweepHistory(ws, result.sweepId)) {
      const stored = h.steps.out!.outputs.file!;
      assert.equal(stored.path, path.join(dir, h.sweep!.variant, 'result.txt'));
      // The file in the variant's folder is exactly that variant's output (no other variant overwrote it).
      assert.equal(sha(stored.path!), stored.digest);
      const text = readFileSync(stored.path!, 'utf8');
      assert.ok(text.startsWith(`HELLO WORLD${h.params.suffix}#`), text);
      contents.add(text);
    }
    assert.equal(contents.size, 4);
  });

  it('writes the comparison, sorted by the metric, as CSV and JSON, and a chart', () => {
    const result = sweepResult(first.events);
    assert.equal(result.sortBy, 'chars');
    assert.deepEqual(result.varying, ['suffix', 'rounds']);
    assert.deepEqual(result.metrics, ['chars', 'words']);
    const chars = result.variants.map((v) => v.metrics.chars as number);
    assert.deepEqual(chars, [...chars].sort((a, b) => a - b));
    assert.deepEqual(result.variants.map((v) => v.rank), [1, 2, 3, 4]);
    const json = JSON.parse(ws.read('out/sweep/sweep.json')) as SweepReport;
    assert.deepEqual(json.variants.map((v) => v.name), result.variants.map((v) => v.name));
    const csv = ws.read('out/sweep/sweep.csv').trimEnd().split('\r\n');
    assert.equal(csv.length, 5);
    assert.deepEqual(csv[0]!.split(',').slice(0, 7), ['rank', 'variant', 'status', 'suffix', 'rounds', 'chars', 'words']);
    // A variant name holds commas: quoted.
    assert.match(csv[1]!, /^1,"suffix=%(21|3F),rounds=(200|300)",ok,[!?],(200|300),\d+,2,/);
    const svg = ws.read('out/sweep/chars-by-rounds.svg');
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes('chars by rounds'));
    assert.ok(readFileSync(ws.path('out/sweep/chars-by-rounds.png')).subarray(1, 4).toString() === 'PNG');
  });

  it('a second sweep is all cache hits, writes no run record and restores a deleted output file', async () => {
    const before = ws.records().length;
    const victim = readdirSync(ws.path('out/sweep')).find((n) => n.startsWith('suffix='))!;
    const file = ws.path('out/sweep', victim, 'result.txt');
    const content = readFileSync(file, 'utf8');
    rmSync(file); // as an editor saves: a new file in its place
    ws.write(path.relative(ws.dir, file), 'edited by hand');
    const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const result = sweepResult(jsonEvents(r.stdout));
    assert.ok(result.variants.every((v) => v.steps.cached === 5 && v.steps.ran === 0 && v.steps.shared === 0), JSON.stringify(result.variants.map((v) => v.steps)));
    assert.equal(ws.records().length, before);
    for (const h of sweepHistory(ws, result.sweepId)) assert.ok(Object.values(h.steps).every((s) => s.status === 'cached'));
    assert.equal(readFileSync(file, 'utf8'), content);
  });

  it('prints the table with the varying params, metrics, time and what ran', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--quiet', '--desc'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const header = lines.find((l) => l.startsWith('#'))!;
    // `words` is the same in every variant: not a column by default (it is in the CSV).
    assert.deepEqual(header.split(/\s{2,}/), ['#', 'suffix', 'rounds', 'chars (highest first)', 'time', 'steps', 'status']);
    assert.ok(lines.includes('(1 more metric in sweep.csv and sweep.json; choose the columns with --metrics or sweep.metrics)'));
    const rows = lines.filter((l) => /^\d\s/.test(l)).map((l) => l.split(/\s{2,}/));
    assert.equal(rows.length, 4);
    assert.ok(rows.every((c) => c[5] === '5 cached' && c[6] === 'ok'));
    const chars = rows.map((c) => Number(c[3]));
    assert.deepEqual(chars, [...chars].sort((a, b) => b - a), 'sorted high to low');
    // The sweep's id, as `runs --sweep` takes it.
    const idLine = lines.find((l) => l.startsWith('sweep '))!;
    const m = /^sweep ([0-9a-f]{6}): lvis-pipe runs p\.yaml --sweep \1 lists its variants$/.exec(idLine);
    assert.ok(m, idLine);
    const listed = await runCli(['runs', 'p.yaml', '--json', '--sweep', m[1]!], { cwd: ws.dir });
    assert.equal((JSON.parse(listed.stdout) as { runs: unknown[] }).runs.length, 4);
    // An unknown --sort metric: checked against earlier runs' metrics before anything runs.
    const bad = await runCli(['sweep', 'p.yaml', '--quiet', '--sort', 'charz', '--metrics', 'words,wrds'], { cwd: ws.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--sort\/--metrics: no metric `charz` \(did you mean `chars`\?\).* \(from earlier runs of this pipeline\)/);
    assert.match(bad.stderr, /--sort\/--metrics: no metric `wrds` \(did you mean `words`\?\)/);
    // A dry run checks it too: a misspelt name is a mistake whether or not anything runs.
    const dry = await runCli(['sweep', 'p.yaml', '--dry-run', '--sort', 'charz'], { cwd: ws.dir });
    assert.equal(dry.code, 2, dry.stdout);
    assert.match(dry.stderr, /--sort\/--metrics: no metric `charz` \(did you mean `chars`\?\)/);
    // A name close to none of them (a metric a newer version may add) is not blocked: the
    // sweep runs and warns at the end if its variants do not produce it either.
    const unlike = await runCli(['sweep', 'p.yaml', '--quiet', '--metrics', 'quantile_loss'], { cwd: ws.dir });
    assert.equal(unlike.code, 0);
    assert.match(unlike.stderr, /^warning: metrics: no metric `quantile_loss`/m);
    // A pipeline with no runs yet: known only at the end, a warning shown even with --quiet.
    ws.write('fresh.yaml', PIPELINE);
    const late = await runCli(['sweep', 'fresh.yaml', '--quiet', '--sort', 'charz'], { cwd: ws.dir });
    assert.equal(late.code, 0);
    assert.match(late.stderr, /^warning: sort: no metric `charz` \(did you mean `chars`\?\)/m);
  });

  it('a sweep over other params says which folders in the sweep folder are an earlier sweep’s', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--json', '--grid', 'suffix=Y,Z'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const note = jsonEvents(r.stdout).find((e) => e.type === 'notice' && e.message.includes('this sweep did not write'));
    assert.ok(note && note.type === 'notice', 'a notice');
    assert.equal(
      note.message,
      'out/sweep also holds 4 folders this sweep did not write (suffix=%21,rounds=200, suffix=%21,rounds=300, suffix=%3F,rounds=200, suffix=%3F,rounds=300): ' +
        'left from an earlier sweep; sweep.csv and sweep.json describe only this one',
    );
    assert.ok(existsSync(ws.path('out/sweep/suffix=%21,rounds=200')), 'nothing is deleted');
  });

  it('a plain run with a variant’s params hits the sweep’s results (output paths are not in keys)', async () => {
    const r = await runCli(['run', 'p.yaml', '--json', '--set', 'suffix=?', '--set', 'rounds=300'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const fin = r.events.find((e) => e.type === 'run-finish');
    assert.ok(fin && fin.type === 'run-finish' && fin.steps.every((s) => s.status === 'cached'));
    assert.equal(ws.read('out/result.txt'), ws.read('out/sweep/suffix=%3F,rounds=300/result.txt'));
  });
});

describe('sweep: variants in parallel', () => {
  it('two variants’ cpu-heavy steps run at once, in two worker threads', async () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.txt', 'hello world');
      ws.write('p.yaml', PIPELINE);
      const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2', '--grid', 'rounds=2000000,2000001', '--grid', 'suffix=x'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      const events = jsonEvents(r.stdout).filter((e) => 'stepId' in e && e.stepId === 'heavy');
      const threads = events.filter((e) => e.type === 'step-log').map((e) => (e as { message: string }).message);
      assert.equal(threads.length, 2);
      assert.ok(threads.every((t) => /^worker thread \d+$/.test(t)));
      assert.notEqual(threads[0], threads[1]);
      // Both workers reported starting their work before either finished it.
      const progress = events.filter((e) => e.type === 'step-progress') as Extract<RunEvent, { type: 'step-progress' }>[];
      const firstDone = progress.findIndex((e) => e.done === e.total && e.total > 0);
      const startedBefore = new Set(progress.slice(0, firstDone).filter((e) => e.done === 0).map((e) => e.runId));
      assert.equal(startedBefore.size, 2, 'both variants’ heavy steps were running at the same time');
    } finally {
      ws.remove();
    }
  });
});

/** Passes its input on, or fails (a user error) when told to. */
const failWhen: StepModule<{ fail: boolean }, { text: string }, { text: string }> = {
  type: 'fail-when',
  version: 1,
  description: 'fails when `fail` is true',
  optionsSchema: { type: 'object', additionalProperties: false, properties: { fail: { type: 'boolean', default: false } } },
  inputs: { text: { kind: 'text' } },
  outputs: { text: { kind: 'text' } },
  async run(ctx) {
    if (ctx.options.fail) throw new DiagnosticError([{ severity: 'error', message: 'told to fail', location: { file: 'data/in.txt', line: 1, col: 1 } }]);
    return { text: ctx.inputs.text };
  },
};

describe('sweep: a failing variant', () => {
  it('does not stop the others; the table shows it failed; the exit status is 1', async () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.txt', 'hello world');
      ws.write(
        'f.yaml',
        `params:\n  fail: false\n  suffix: a\nsteps:\n  src: { type: source, options: { path: data/in.txt } }\n` +
          `  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }\n` +
          `  gate: { type: fail-when, inputs: { text: up }, options: { fail: "\${params.fail}" } }\n` +
          `  n: { type: count, inputs: { text: gate } }\n  out: { type: write, inputs: { text: gate }, options: { out: out/x.txt } }\n` +
          `sweep:\n  grid: { suffix: [a, b] }\n  variants:\n    - { suffix: c, fail: true }\n`,
      );
      const registry = new StepRegistry([...TEST_STEPS, failWhen]);
      const r = await runCli(['sweep', 'f.yaml', '--jobs', '2'], { cwd: ws.dir, registry });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\[suffix=c,fail=true\] gate \(fail-when\) failed:\n\s+data\/in\.txt:1:1: told to fail/);
      const result = JSON.parse(ws.read('out/sweep/sweep.json')) as SweepReport;
      assert.deepEqual(
        result.variants.map((v) => [v.name, v.status]),
        [
          ['suffix=a,fail=false', 'ok'],
          ['suffix=b,fail=false', 'ok'],
          ['suffix=c,fail=true', 'failed'],
        ],
      );
      const failed = result.variants[2]!;
      assert.equal(failed.error, 'gate: told to fail');
      // src was a hit (the first two variants ran it), up ran (a new suffix), gate failed, n and out were skipped.
      assert.deepEqual(failed.steps, { ran: 1, shared: 0, cached: 1, failed: 1, skipped: 2, interrupted: 0 });
      assert.deepEqual(failed.metrics, {});
      assert.equal(ws.read('out/sweep/suffix=a,fail=false/x.txt'), 'HELLO WORLDa');
      assert.equal(ws.read('out/sweep/suffix=b,fail=false/x.txt'), 'HELLO WORLDb');
      assert.equal(existsSync(ws.path('out/sweep/suffix=c,fail=true/x.txt')), false);
      const row = r.stdout.split('\n').find((l) => l.startsWith('3 '))!;
      assert.match(row, /\bc\s+true\s+.*failed: gate: told to fail$/);
      assert.match(ws.read('out/sweep/sweep.csv'), /\r\n3,"suffix=c,fail=true",failed,c,true,,,[\d.]+,1,0,1,1,2,[^,]+,"[^"]+\/suffix=c,fail=true",gate: told to fail\r\n$/);
    } finally {
      ws.remove();
    }
  });
});

describe('sweep: after-run hooks', () => {
  it('run for each variant, writing into the variant’s folder, never at the plain pipeline’s paths', async () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.txt', 'hi');
      ws.write(
        'v.yaml',
        `params:\n  suffix: "!"\nsteps:\n  src: { type: source, options: { path: data/in.txt } }\n` +
          `  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }\n` +
          `  view: { type: digest, inputs: { text: up }, options: { out: out/view.txt } }\n` +
          `  out: { type: write, inputs: { text: up }, options: { out: out/x.txt } }\nsweep:\n  grid: { suffix: [a, b] }\n`,
      );
      const r = await runCli(['sweep', 'v.yaml', '--json'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(existsSync(ws.path('out/view.txt')), false);
      assert.equal(ws.read('out/sweep/suffix=a/x.txt'), 'HIa');
      // The hook saw the variant's own run: its output is the variant's.
      assert.match(ws.read('out/sweep/suffix=a/view.txt'), /\nHIA\n$/);
      assert.match(ws.read('out/sweep/suffix=b/view.txt'), /\nHIB\n$/);
      // A plain run does run it.
      assert.equal((await runCli(['run', 'v.yaml', '-q'], { cwd: ws.dir })).code, 0);
      assert.ok(existsSync(ws.path('out/view.txt')));
    } finally {
      ws.remove();
    }
  });
});

describe('sweep: Ctrl-C', () => {
  it('stops the running variants, starts no other, records them as interrupted, exits 130 and frees the lock', async () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.txt', 'hi');
      ws.write(
        'z.yaml',
        `params:\n  ms: 20000\nsteps:\n  src: { type: source, options: { path: data/in.txt } }\n` +
          `  s: { type: sleep, inputs: { text: src }, options: { ms: "\${params.ms}", marker: started.txt } }\n` +
          `  out: { type: write, inputs: { text: s }, options: { out: out/x.txt } }\nsweep:\n  grid: { ms: [20000, 20001, 20002] }\n`,
      );
      const child = spawnCli(['sweep', 'z.yaml', '--jobs', '2'], ws.dir);
      await waitFor(() => existsSync(ws.path('started.txt')), 'a variant to start sleeping');
      child.child.kill('SIGINT');
      const exit = await child.exit;
      assert.equal(exit.code, 130, child.stderr());
      const result = JSON.parse(ws.read('out/sweep/sweep.json')) as SweepReport;
      assert.equal(result.status, 'interrupted');
      assert.deepEqual(result.variants.map((v) => v.status), ['interrupted', 'interrupted', 'interrupted']);
      assert.equal(result.variants.find((v) => v.name === 'ms=20002')!.error, 'not started (interrupted)');
      assert.equal(ws.records().filter((r) => r.stepId === 's').length, 0, 'no record for an interrupted step');
      assert.equal(existsSync(ws.path('.lvis-pipe/lock')), false);
      assert.deepEqual(readdirSync(ws.path('.lvis-pipe/tmp')), []);
    } finally {
      ws.remove();
    }
  });
});

describe('sweep: errors before anything runs', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'hello world');
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  const nothingRan = () => assert.equal(existsSync(ws.path('.lvis-pipe/runs')) ? readdirSync(ws.path('.lvis-pipe/runs')).length : 0, 0);

  it('an unknown --grid param, a value of the wrong type, a malformed --grid', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--grid', 'rouns=1,2', '--grid', 'rounds=1,x', '--grid', 'suffix'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--grid rouns=1,2: unknown param `rouns` \(did you mean `rounds`\?\); the pipeline's params are `suffix`, `rounds`/);
    assert.match(r.stderr, /--grid suffix: expected name=value1,value2,\.\.\./);
    nothingRan();
    const t = await runCli(['sweep', 'p.yaml', '--grid', 'rounds=1,x'], { cwd: ws.dir });
    assert.equal(t.code, 2);
    assert.match(t.stderr, /param `rounds` from --grid rounds=1,x must be a number, got the string "x"/);
    nothingRan();
  });

  it('a variant value a step rejects, located in the pipeline and attributed to the sweep', async () => {
    ws.write('bad.yaml', PIPELINE.replace('rounds: [200, 300]', 'rounds: [200, 0]'));
    const r = await runCli(['sweep', 'bad.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^bad\.yaml:7:\d+: step `heavy` \(type `heavy`\): option `rounds` must be >= 1, got 0 \(from \$\{params\.rounds\}, set by sweep\.grid\.rounds\[1\] \(bad\.yaml\)\)$/m);
    nothingRan();
  });

  it('a sweep folder whose sweep.csv or chart would replace an input of a variant', async () => {
    ws.write('sw/sweep.csv', 'my data');
    ws.write('csv.yaml', PIPELINE.replace('path: data/in.txt', 'path: sw/sweep.csv'));
    const r = await runCli(['sweep', 'csv.yaml', '--out', 'sw'], { cwd: ws.dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the sweep's sweep\.csv sw\/sweep\.csv is the input `path` of step `src`: writing it would replace that file/);
    assert.equal(ws.read('sw/sweep.csv'), 'my data');
    nothingRan();
    // The chart's name is known once the metrics are: it is checked then, and not drawn.
    ws.write('sw2/chars-by-rounds.svg', '<svg/>');
    ws.write('svg.yaml', PIPELINE.replace('path: data/in.txt', 'path: sw2/chars-by-rounds.svg'));
    const c = await runCli(['sweep', 'svg.yaml', '--out', 'sw2', '--cache-dir', 'c-svg'], { cwd: ws.dir });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout + c.stderr, /warning: no chart drawn: the sweep's chars-by-rounds\.svg sw2\/chars-by-rounds\.svg is the input `path` of step `src`/);
    assert.equal(ws.read('sw2/chars-by-rounds.svg'), '<svg/>');
    // Nor over the pipeline file itself.
    ws.write('sw3/sweep.json', PIPELINE.replace('path: data/in.txt', 'path: ../data/in.txt'));
    const own = await runCli(['sweep', 'sw3/sweep.json', '--out', 'sw3', '--cache-dir', 'c-own'], { cwd: ws.dir });
    assert.equal(own.code, 2, own.stderr);
    assert.match(own.stderr, /the sweep's sweep\.json sw3\/sweep\.json is the pipeline file/);
    assert.match(ws.read('sw3/sweep.json'), /^params:/);
  });

  it('no sweep at all', async () => {
    ws.write('plain.yaml', PIPELINE.slice(0, PIPELINE.indexOf('sweep:')));
    const r = await runCli(['sweep', 'plain.yaml'], { cwd: ws.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /plain\.yaml declares no sweep: add a `sweep:` section with `grid:` or `variants:`, or pass --grid NAME=V1,V2,\.\.\./);
    nothingRan();
  });

  it('--dry-run lists the variants and their folders, runs nothing, takes no lock', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--dry-run', '--json', '--grid', 'rounds=5'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { varying: string[]; executions: number; variants: { name: string; folder: string; run: string[]; shared: string[]; cached: string[] }[] };
    assert.deepEqual(plan.varying, ['suffix']);
    assert.deepEqual(plan.variants.map((v) => v.name), ['suffix=%21', 'suffix=%3F']);
    assert.deepEqual(plan.variants.map((v) => v.folder), [ws.path('out/sweep/suffix=%21'), ws.path('out/sweep/suffix=%3F')]);
    assert.deepEqual(plan.variants.map((v) => [v.run, v.shared, v.cached]), [
      [['src', 'up', 'heavy', 'n', 'out'], [], []],
      [['up', 'heavy', 'n', 'out'], ['src'], []],
    ]);
    assert.equal(plan.executions, 9);
    nothingRan();
  });
});

describe('sweep: what the comparison says beyond the table', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'no whitespace around');
    // `trim` changes nothing here (the text has no surrounding whitespace); `suffix` changes
    // the file but neither count.
    ws.write(
      'p.yaml',
      `params:\n  trim: false\n  suffix: "!"\nsteps:\n  src: { type: source, options: { path: data/in.txt, trim: "\${params.trim}" } }\n` +
        `  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }\n  n: { type: count, inputs: { text: up } }\n` +
        `  out: { type: write, inputs: { text: up }, options: { out: out/result.txt } }\n` +
        `sweep:\n  grid: { trim: [false, true], suffix: ["!", "?"] }\n  metrics: [words, chars]\n  sort_by: chars\n`,
    );
  });
  after(() => ws.remove());

  it('names the variants whose output files are byte-identical, and says a file-chosen metric that never varies once instead of a column', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--no-chart'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    const header = r.stdout.split('\n').find((l) => l.startsWith('#'))!;
    assert.ok(header.includes('chars'), 'the sort metric stays a column');
    assert.ok(!/\bwords\b/.test(header), header);
    assert.match(r.stdout, /^the same in every variant, so not a column: words 3$/m);
    assert.match(r.stdout, /^identical output files \(what differs between them changes nothing the pipeline writes\): trim=false,suffix=%21; trim=true,suffix=%21$/m);
    assert.match(r.stdout, /^identical output files .*: trim=false,suffix=%3F; trim=true,suffix=%3F$/m);
    assert.equal(r.stdout.match(/^identical output files/gm)?.length, 2, r.stdout);
    // Asked for on the command line, a constant metric is a column.
    const cli = await runCli(['sweep', 'p.yaml', '--no-chart', '--metrics', 'words,chars'], { cwd: ws.dir });
    assert.ok(/\bwords\b/.test(cli.stdout.split('\n').find((l) => l.startsWith('#'))!), cli.stdout);
    const json = JSON.parse(ws.read('out/sweep/sweep.json')) as SweepReport;
    assert.equal(json.identical.length, 2);
  });
});

describe('sweep: output files some variants share', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/in.txt', 'no whitespace around');
    // `trim` changes nothing; `suffix` changes one file (`shout`) but not the other (`plain`).
    ws.write(
      'p.yaml',
      `params:\n  trim: false\n  suffix: "!"\nsteps:\n  src: { type: source, options: { path: data/in.txt, trim: "\${params.trim}" } }\n` +
        `  up: { type: upper, inputs: { text: src }, options: { suffix: "\${params.suffix}" } }\n` +
        `  plain: { type: write, inputs: { text: src }, options: { out: out/plain.txt } }\n  shout: { type: write, inputs: { text: up }, options: { out: out/shout.txt } }\n` +
        `sweep:\n  grid: { suffix: ["!", "?"], trim: [false, true] }\n`,
    );
  });
  after(() => ws.remove());

  it('names a file the same in every variant, and the variants that share another file, without all of their files being the same', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--no-chart'], { cwd: ws.dir });
    assert.equal(r.code, 0, r.stderr);
    // Every file of suffix=!,trim=false equals those of suffix=!,trim=true: said as identical variants.
    assert.match(r.stdout, /^identical output files .*: suffix=%21,trim=false; suffix=%21,trim=true$/m);
    assert.match(r.stdout, /^the same in every variant: plain\.txt$/m);
    const json = JSON.parse(ws.read('out/sweep/sweep.json')) as SweepReport;
    const plain = json.sameFiles.find((f) => f.output === 'plain.file')!;
    assert.equal(plain.groups.length, 1);
    assert.equal(plain.groups[0]!.length, 4);
    const shout = json.sameFiles.find((f) => f.output === 'shout.file')!;
    assert.equal(shout.groups.length, 2, 'two distinct shouts, each written by two variants');
  });
});
