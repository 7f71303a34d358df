/**
 * One declaration per step option (src/runner/step/options.ts): the TS type, the defaults in
 * code, validation, `lvis-pipe steps` and the reference docs all come from the step's schema,
 * and rules across options are checked at validation time, before anything runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { describeOptions, describeType, optionDefaults, type OptionsOf } from '../src/runner/step/options.js';
import greedyStep, { defaultSamplerOptions, optionsSchema as greedyOptions } from '../src/steps/greedy-sample.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { runCli as runWith, Workspace } from './helpers/runner-fixture.js';

const registry = new StepRegistry(STEP_MODULES);
/** The CLI with lvis-pipe's own steps. */
const runCli = (args: string[], opts: { cwd: string }) => runWith(args, { ...opts, registry });

/** Compile-time checks: a wrong inferred type fails the build, and so the test run. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Greedy = OptionsOf<typeof greedyOptions>;
const typeChecks: [
  Equal<Greedy['pool'], number | 'all'>,
  Equal<Greedy['strategy'], 'greedy' | 'random' | 'restarts' | 'coverage'>,
  Equal<Greedy['refine_seconds'], number | null>,
  Equal<Greedy['tier_weights']['r'], number>,
] = [true, true, true, true];

describe('option declarations', () => {
  it('infer the options type from the schema (checked when the tests compile)', () => {
    assert.deepEqual(typeChecks, [true, true, true, true]);
  });

  it('give the defaults in code that ajv fills in during validation, nested ones included', () => {
    for (const step of STEP_MODULES) {
      const filled: Record<string, unknown> = {};
      const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true });
      // `load` needs its path or its input; the other steps validate with nothing set.
      if (ajv.validate(step.optionsSchema, filled)) assert.deepEqual(optionDefaults(step.optionsSchema), filled, step.type);
    }
    const d = defaultSamplerOptions();
    assert.equal(d.pool, 256);
    assert.deepEqual(d.tierWeights, { f: 1, c: 1, r: 0.6 });
    assert.equal(d.totalImages, 25000);
  });

  it('describe each option’s accepted values in words', () => {
    const props = greedyOptions.properties;
    assert.equal(describeType(props.pool), 'an integer ≥ 1 or "all"');
    assert.equal(describeType(props.strategy), 'one of "greedy", "random", "restarts", "coverage"');
    assert.equal(describeType(props.refine_seconds), 'a number > 0 or null');
    assert.equal(describeType(props.seed), 'an integer ≥ 0 and ≤ 4294967295');
    assert.equal(describeType({ type: 'array', items: { type: 'integer' } }), 'a list of integers');
    const rows = describeOptions(greedyStep.optionsSchema);
    assert.deepEqual(rows.find((r) => r.name === 'pool'), {
      name: 'pool',
      type: 'an integer ≥ 1 or "all"',
      default: '256',
      description: greedyOptions.properties.pool.description,
    });
  });

  it('the shipped pipeline’s pool and the declared default agree', () => {
    const yaml = readFileSync(new URL('../../pipelines/mini-lvis.yaml', import.meta.url), 'utf8');
    assert.match(yaml, /\n\s*pool: \{ type: any, default: 256,/);
    assert.equal(greedyOptions.properties.pool.default, 256);
  });
});

describe('lvis-pipe steps', () => {
  it('lists every step type, and shows one with its options from the declaration', async () => {
    const ws = new Workspace();
    try {
      const list = await runCli(['steps'], { cwd: ws.dir });
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^greedy-sample +Choose the subset/m);
      const one = await runCli(['steps', 'greedy-sample'], { cwd: ws.dir });
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /\n {2}pool: an integer ≥ 1 or "all"; default 256\n/);
      assert.match(one.stdout, /\n {2}dataset \(lvis\.dataset\) /);
      const json = JSON.parse((await runCli(['steps', 'histograms', '--json'], { cwd: ws.dir })).stdout) as { options: { name: string; default?: string }[] };
      assert.deepEqual(
        json.options.map((o) => [o.name, o.default]),
        [
          ['area_small', '1024'],
          ['area_medium', '9216'],
          ['size_from', '"bbox"'],
        ],
      );
      const typo = await runCli(['steps', 'greedy-sampel'], { cwd: ws.dir });
      assert.equal(typo.code, 2);
      assert.match(typo.stderr, /no step type `greedy-sampel` \(did you mean `greedy-sample`\?\)/);
    } finally {
      ws.remove();
    }
  });
});

describe('rules across options', () => {
  it('refine_iters with a strategy other than greedy is a warning at its line, before anything runs', async () => {
    const ws = new Workspace();
    try {
      ws.write('data/in.json', '{"images": [], "annotations": [], "categories": []}');
      ws.write(
        'p.yaml',
        [
          'steps:',
          '  train: { type: load, options: { path: data/in.json } }',
          '  h: { type: histograms, inputs: { dataset: train } }',
          '  mix: { type: target-mix, inputs: { stats: s } }',
          '  s: { type: stats, inputs: { dataset: train } }',
          '  q: { type: quotas, inputs: { dataset: train } }',
          '  sample:',
          '    type: greedy-sample',
          '    inputs: { dataset: train, histograms: h, mix: mix, quotas: q }',
          '    options: { strategy: random, refine_iters: 50 }',
          '',
        ].join('\n'),
      );
      const r = await runCli(['validate', 'p.yaml'], { cwd: ws.dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /p\.yaml:10:\d+: warning: step `sample` \(type `greedy-sample`\): refine_iters applies to strategy greedy only; it is ignored for strategy random/);
      ws.write('p.yaml', readFileSync(ws.path('p.yaml'), 'utf8').replace('strategy: random, ', ''));
      const clean = await runCli(['validate', 'p.yaml'], { cwd: ws.dir });
      assert.equal(clean.code, 0);
      assert.doesNotMatch(clean.stderr, /warning/);
    } finally {
      ws.remove();
    }
  });
});

describe('JSON outputs named .zip', () => {
  it('are refused where `out` is set, by every step that writes JSON: lvis-pipe reads zips but writes plain or gzip', async () => {
    for (const type of ['write', 'prune-gt', 'prune-preds', 'evaluate']) {
      const mod = STEP_MODULES.find((m) => m.type === type)!;
      const wired = new Set(type === 'evaluate' ? ['gt', 'preds'] : []);
      const zip = mod.check!({ out: 'out/x.json.zip' }, wired);
      assert.deepEqual(zip.map((p) => [p.key, p.message]), [['out', '`out` ends in .zip, which lvis-pipe reads but does not write: name it .json, or .json.gz for a compressed file']], type);
      assert.deepEqual(mod.check!({ out: 'out/x.json.gz' }, wired), [], type);
    }
  });
});
