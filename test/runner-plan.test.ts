/** `plan`: every step listed as cached / restore / will run, with the reason; nothing runs. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { PlanEntry } from '../src/runner/graph/plan.js';
import { KEY_SCHEME } from '../src/runner/cache/key.js';
import { type KeyMaterial } from '../src/runner/cache/records.js';
import { explainChange } from '../src/runner/graph/reasons.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';
import { testRegistry } from './helpers/runner-steps.js';

const PIPELINE = `params:
  alpha: 0.6
steps:
  src: { type: source, options: { path: data/x.json } }
  up: { type: upper, inputs: { text: src }, options: { alpha: "\${params.alpha}" } }
  train: { type: source, options: { path: data/train.txt } }
  both: { type: concat, inputs: { a: up, b: train } }
  out: { type: write, inputs: { text: both }, options: { out: out/x.txt } }
`;

async function plan(ws: Workspace, ...args: string[]): Promise<Record<string, PlanEntry>> {
  const r = await runCli(['plan', 'p.yaml', '--json', ...args], { cwd: ws.dir });
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout) as { steps: PlanEntry[] };
  return Object.fromEntries(parsed.steps.map((s) => [s.id, s]));
}

const brief = (p: Record<string, PlanEntry>) => Object.fromEntries(Object.entries(p).map(([id, e]) => [id, [e.action, ...e.reasons]]));

describe('plan', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('data/x.json', '{"a": 1}');
    ws.write('data/train.txt', 'train');
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  it('before any run: every step is new; plan runs nothing', async () => {
    const p = await plan(ws);
    assert.deepEqual(brief(p), { src: ['run', 'new'], up: ['run', 'new'], train: ['run', 'new'], both: ['run', 'new'], out: ['run', 'new'] });
    assert.deepEqual(ws.records(), []);
  });

  it('after a run: everything cached', async () => {
    assert.equal((await runCli(['run', 'p.yaml'], { cwd: ws.dir })).code, 0);
    const p = await plan(ws);
    assert.ok(Object.values(p).every((e) => e.action === 'cached' && e.reasons.length === 0));
  });

  it('an option change: "option alpha 0.6 → 0.7" and "input `a` changed" downstream', async () => {
    const p = await plan(ws, '--set', 'alpha=0.7');
    assert.deepEqual(brief(p), {
      src: ['cached'],
      up: ['run', 'option alpha 0.6 → 0.7'],
      train: ['cached'],
      both: ['run', 'input `a` changed'],
      out: ['run', 'input `text` changed'],
    });
  });

  it('a changed file: "file data/x.json changed"', async () => {
    ws.write('data/x.json', '{"a": 2}');
    const p = await plan(ws);
    assert.deepEqual(p.src!.reasons, ['file data/x.json changed']);
    assert.equal(p.train!.action, 'cached');
    ws.write('data/x.json', '{"a": 1}');
  });

  it('a new step version: "step version changed (1 → 2)"', async () => {
    const r = await runCli(['plan', 'p.yaml', '--json'], { cwd: ws.dir, registry: testRegistry({ concat: 2 }) });
    const p = Object.fromEntries((JSON.parse(r.stdout) as { steps: PlanEntry[] }).steps.map((s) => [s.id, s]));
    assert.deepEqual(p.both!.reasons, ['step version changed (1 → 2)']);
    assert.deepEqual(p.out!.reasons, ['input `text` changed']);
  });

  it('a deleted output file: "output file out/x.txt missing (restore)"', async () => {
    rmSync(ws.path('out/x.txt'));
    const p = await plan(ws);
    assert.equal(p.out!.action, 'restore');
    assert.deepEqual(p.out!.reasons, ['output file out/x.txt missing (restore)']);
  });

  it('reverting to an earlier value is cached, and says so', async () => {
    assert.equal((await runCli(['run', 'p.yaml', '--set', 'alpha=0.7'], { cwd: ws.dir })).code, 0);
    const p = await plan(ws);
    assert.equal(p.up!.action, 'cached');
    assert.deepEqual(p.up!.reasons, ['same as an earlier run (option alpha 0.7 → 0.6)']);
  });

  it('--force, a failed last run, a new step, and options added', async () => {
    assert.equal((await runCli(['run', 'p.yaml'], { cwd: ws.dir })).code, 0);
    const forced = await plan(ws, '--force', 'train');
    assert.deepEqual(forced.train!.reasons, ['forced']);
    ws.write('p.yaml', PIPELINE + '  extra: { type: fail, inputs: { text: both } }\n');
    assert.deepEqual((await plan(ws)).extra!.reasons, ['new']);
    assert.equal((await runCli(['run', 'p.yaml'], { cwd: ws.dir })).code, 1);
    assert.deepEqual((await plan(ws)).extra!.reasons, ['last run failed']);
    ws.write('p.yaml', PIPELINE.replace('options: { alpha: "${params.alpha}" }', 'options: { alpha: "${params.alpha}", repeat: 2 }'));
    assert.deepEqual((await plan(ws)).up!.reasons, ['option repeat 1 → 2']);
  });

  it('prints a table for humans', async () => {
    const r = await runCli(['plan', 'p.yaml'], { cwd: ws.dir });
    assert.match(r.stdout, /^step +type +plan +key +why$/m);
    assert.match(r.stdout, /^up +upper +will run +[0-9a-f]{12} +option repeat 1 → 2$/m);
    assert.match(r.stdout, /^src +source +cached +[0-9a-f]{12}$/m);
    assert.match(r.stdout, /^3 to run, 2 cached$/m);
    // Two of the three run only because `up` does: they may still be reused.
    assert.match(r.stdout, /^2 of them run only because an input changed: any whose inputs come out byte-identical to an earlier run's will reuse that result instead \(early cutoff\)$/m);
  });
});

describe('reasons name a folder option as they name a file option', () => {
  it('a folder read outside the working directory is shown absolute on both sides, never as ../../…', async () => {
    const ws = new Workspace();
    const outside = new Workspace(); // another temporary folder: outside ws, so displayPath gives it absolute
    try {
      ws.write('pipes/data/in.txt', 'a,b');
      const pipeline = (from: string) => `params:\n  from: { type: path, default: "" }\nsteps:\n  src: { type: source, options: { path: data/in.txt } }\n  files: { type: mirror, inputs: { text: src }, options: { from: "${from}" } }\n`;
      ws.write('pipes/p.yaml', pipeline(outside.path('one')));
      const r = await runCli(['run', 'pipes/p.yaml', '-q'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      ws.write('pipes/p.yaml', pipeline(outside.path('two')));
      const p = await runCli(['plan', 'pipes/p.yaml', '--json'], { cwd: ws.dir });
      const files = (JSON.parse(p.stdout) as { steps: PlanEntry[] }).steps.find((e) => e.id === 'files')!;
      assert.deepEqual(files.reasons, [`option from ${outside.path('one')} → ${outside.path('two')}`]);
    } finally {
      ws.remove();
      outside.remove();
    }
  });
});

describe('reasons for long values', () => {
  const material = (options: Record<string, unknown>): KeyMaterial => ({ scheme: KEY_SCHEME, type: 'load', version: 1, options, inputs: {}, files: {} });

  it('two long paths that start alike are shown from where they differ', () => {
    const [reason] = explainChange(
      material({ path: '../../work/shared/data/real/instances_val2014_100.json' }),
      material({ path: '../../work/shared/data/real/lvis_val_100.json' }),
    );
    assert.equal(reason, 'option path "…/real/instances_val2014_100.json" → "…/real/lvis_val_100.json"');
  });

  it('file options are shown as the user would type them: whole, from the working directory or absolute', () => {
    const paths = { dir: '/home/me/proj/pipelines', options: new Set(['path']) };
    const [reason] = explainChange(
      material({ path: '../../data/lvis/lvis_v1_train_with_a_long_name.json' }),
      material({ path: '../../data/lvis/lvis_v1_train_with_another_long_name.json' }),
      paths,
    );
    assert.equal(reason, 'option path /home/me/data/lvis/lvis_v1_train_with_a_long_name.json → /home/me/data/lvis/lvis_v1_train_with_another_long_name.json');
  });

  it('short or unalike values are shown as they are', () => {
    assert.deepEqual(explainChange(material({ mode: 'upper' }), material({ mode: 'lower' })), ['option mode "upper" → "lower"']);
    assert.deepEqual(explainChange(material({ n: 1 }), material({ n: 2 })), ['option n 1 → 2']);
  });
});
