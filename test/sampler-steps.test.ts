/**
 * The five sampler steps as the runner sees them: option schemas (defaults, bad values),
 * artifact codecs, outputs and logs, and the errors users can cause.
 */
import { test } from 'node:test';
import { histogramsKind, sampleDetailsKind, sampleKind, sampleQualityKind } from '../src/steps/kinds.js';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { randomDataset } from './helpers/make-dataset.js';
import statsStep from '../src/steps/stats.js';
import targetMixStep from '../src/steps/target-mix.js';
import histogramsStep from '../src/steps/histograms.js';
import quotasStep from '../src/steps/quotas.js';
import greedyStep from '../src/steps/greedy-sample.js';
import { STEP_MODULES } from '../src/steps/index.js';
import type { StepContext, StepModule } from '../src/runner/step/step.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import loadStep from '../src/steps/load.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';

function ctxFor<O, I>(step: StepModule<O, I>, options: unknown, inputs: I, signal?: AbortSignal) {
  const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true });
  const opts = structuredClone(options) as Record<string, unknown>;
  assert.ok(ajv.validate(step.optionsSchema, opts), JSON.stringify(ajv.errors));
  const logs: string[] = [];
  const ctx: StepContext<O, I> = {
    stepId: step.type,
    options: opts as O,
    inputs,
    progress: { start() {}, update() {}, done() {} },
    log: (m) => logs.push(m),
    signal: signal ?? new AbortController().signal,
    outputFile: () => {
      throw new Error('no file outputs');
    },
    tempDir: '/tmp',
    fileDigests: {},
  };
  return { ctx, logs };
}

const ds = randomDataset(31, { images: 900, frequent: 12, common: 18, rare: 20, meanAnnotations: 6 });

async function pipeline(greedyOptions: Record<string, unknown>) {
  const s = ctxFor(statsStep, {}, { dataset: ds });
  const { stats } = await statsStep.run(s.ctx);
  const m = ctxFor(targetMixStep, {}, { stats });
  const { mix } = await targetMixStep.run(m.ctx);
  const h = ctxFor(histogramsStep, {}, { dataset: ds });
  const { histograms } = await histogramsStep.run(h.ctx);
  const q = ctxFor(quotasStep, {}, { dataset: ds });
  const { quotas } = await quotasStep.run(q.ctx);
  const g = ctxFor(greedyStep, greedyOptions, { dataset: ds, histograms, mix, quotas });
  const out = await greedyStep.run(g.ctx);
  return { stats, mix, histograms, quotas, out, logs: { s: s.logs, m: m.logs, h: h.logs, q: q.logs, g: g.logs } };
}

test('the five steps are registered, each with its artifact kinds', () => {
  const types = STEP_MODULES.map((s) => s.type);
  for (const t of ['stats', 'target-mix', 'histograms', 'quotas', 'greedy-sample']) assert.ok(types.includes(t), t);
  const kinds = new Set(STEP_MODULES.flatMap((s) => (s.kinds ?? []).map((k) => k.name)));
  for (const k of ['lvis.tier-stats', 'lvis.target-mix', 'lvis.histograms', 'lvis.rare-quotas', 'lvis.sample', 'lvis.sample-quality', 'lvis.sample-details']) {
    assert.ok(kinds.has(k), k);
  }
  assert.equal(greedyStep.outputs.quality!.metrics, true);
});

test('defaults are the original tool’s except mismatch (js), cover (true), density_band, lambda_share and lambda_density; partial per-tier options are filled in', () => {
  const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true });
  const o: Record<string, unknown> = { tier_weights: { r: 0.7 } };
  assert.ok(ajv.validate(greedyStep.optionsSchema, o));
  assert.deepEqual(o, {
    tier_weights: { f: 1, c: 1, r: 0.7 },
    total_images: 25000,
    strategy: 'greedy',
    mismatch: 'js',
    cover: true,
    seed: 1337,
    pool: 256,
    lambda_tier: 3,
    lambda_cap: 2,
    lambda_share: 40,
    lambda_density: 10,
    density_band: 0.05,
    tier_bonus: { f: 0, c: 0, r: 0 },
    tier_membership: 'rarest',
    runaway_slack: 0.05,
    refine_iters: 0,
    refine_seconds: null,
    refine_pool: 256,
    restarts_k: 100,
    coverage_negative_every: 10,
  });
  for (const bad of [{ total_images: 1e12 }, { total_images: 0 }, { pool: 'some' }, { pool: 0 }, { strategy: 'best' }, { tier_bonus: { x: 1 } }, { refine_seconds: 0 }, { seed: -1 }, { mismatch: 'mse' }, { cover: 'yes' }, { lambda_share: -1 }, { lambda_density: -1 }, { density_band: 0 }, { density_band: 2 }, { density_band: 'none' }]) {
    assert.equal(ajv.validate(greedyStep.optionsSchema, bad), false, JSON.stringify(bad));
  }
  // The switch for free density, and a band's width, are both valid values of density_band.
  for (const ok of [{ density_band: 'free' }, { density_band: 0.2 }]) assert.ok(ajv.validate(greedyStep.optionsSchema, ok), JSON.stringify(ok));
  const h: Record<string, unknown> = {};
  assert.ok(ajv.validate(histogramsStep.optionsSchema, h));
  assert.deepEqual(h, { area_small: 1024, area_medium: 9216, size_from: 'bbox' });
  assert.equal(ajv.validate(histogramsStep.optionsSchema, { size_from: 'mask' }), false);
  const q: Record<string, unknown> = {};
  assert.ok(ajv.validate(quotasStep.optionsSchema, q));
  assert.deepEqual(q, { rare_cap: 2, target_rare_images: 'budget' });
  assert.ok(ajv.validate(quotasStep.optionsSchema, { target_rare_images: 300 }));
  assert.equal(ajv.validate(quotasStep.optionsSchema, { target_rare_images: 'all' }), false);
  assert.equal(ajv.validate(targetMixStep.optionsSchema, { alpha: 1.5 }), false);
});

test('the pipeline of steps produces a sample, a flat quality record, details and a summary', async () => {
  const { out, logs, histograms } = await pipeline({ total_images: 150, pool: 64, refine_iters: 100 });
  assert.equal(out.sample.imageIndices.length, 150);
  for (const [k, v] of Object.entries(out.quality)) assert.equal(typeof v, 'number', k);
  assert.ok(out.quality.js_divergence! > 0);
  assert.equal(out.details.trace.greedy.objective.length, 150);
  assert.equal(out.details.trace.refine.objective.length, 100);
  assert.equal(out.details.keys.fullCount.length, histograms.keyCategory.length);
  assert.match(logs.s.join('\n'), /^f: 12 categories/m);
  assert.match(logs.m.join('\n'), /r: target/);
  assert.match(logs.h.join('\n'), /\(category, size\) keys/);
  assert.match(logs.q.join('\n'), /rare categories with annotations/);
  const summary = logs.g.join('\n');
  assert.match(summary, /JS divergence [0-9.]+ bits/);
  assert.match(summary, /refinement: \d+ of 100 swaps accepted/);

  // Every artifact survives its codec.
  for (const [kind, value] of [
    [sampleKind, out.sample],
    [sampleQualityKind, out.quality],
    [sampleDetailsKind, out.details],
  ] as const) {
    if (kind.storage !== 'value') throw new Error('value kinds');
    assert.deepEqual(kind.decode(await kind.encode(value as never)), value);
  }
});

test('histograms survive the binary codec, even from an unaligned buffer', async () => {
  const { histograms } = await pipeline({ total_images: 10, pool: 4 });
  const kind = histogramsKind;
  if (kind.storage !== 'value') throw new Error('value kind');
  const bytes = await kind.encode(histograms);
  const shifted = Buffer.concat([Buffer.from([1, 2, 3]), bytes]).subarray(3);
  assert.deepEqual(kind.decode(shifted), histograms);
  const decode = kind.decode;
  assert.throws(() => decode(new Uint8Array(16)), /bad magic/);
});

test('histograms: area_small must be below area_medium, reported at validation with the option’s position', async () => {
  const reg = () => new StepRegistry([loadStep, histogramsStep]);
  const ws = new Workspace();
  try {
    ws.write('d.json', '{"images": [], "annotations": [], "categories": []}');
    const yaml = (opts: string) => `steps:\n  train: { type: load, options: { path: d.json } }\n  h:\n    type: histograms\n    inputs: { dataset: train }\n    options: ${opts}\n`;
    ws.write('swapped.yaml', yaml('{ area_small: 9216, area_medium: 1024 }'));
    const r = await runCli(['run', 'swapped.yaml'], { cwd: ws.dir, registry: reg() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /swapped\.yaml:6:\d+: step `h` \(type `histograms`\): area_small \(9216\) must be less than area_medium \(1024\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /ran in|▶/, 'nothing ran');
    // One of them against the other's default (area_medium 9216).
    ws.write('one.yaml', yaml('{ area_small: 10000 }'));
    const one = await runCli(['validate', 'one.yaml'], { cwd: ws.dir, registry: reg() });
    assert.equal(one.code, 2);
    assert.match(one.stdout + one.stderr, /area_small \(10000\) must be less than area_medium \(9216\)/);
    ws.write('ok.yaml', yaml('{ area_small: 100, area_medium: 400 }'));
    assert.equal((await runCli(['validate', 'ok.yaml'], { cwd: ws.dir, registry: reg() })).code, 0);
  } finally {
    ws.remove();
  }
});

test('quotas with an explicit target report the rescaled total', async () => {
  const { ctx, logs } = ctxFor(quotasStep, { rare_cap: 1, target_rare_images: 7 }, { dataset: ds });
  const { quotas } = await quotasStep.run(ctx);
  assert.equal(quotas.target, 7);
  assert.ok(quotas.capped.every((q) => q === 1));
  assert.match(logs.join('\n'), /rescaled to 7: Σ = \d+/);
});

test('greedy-sample stops when the run is aborted', async () => {
  const s = await pipeline({ total_images: 5, pool: 4 });
  const ac = new AbortController();
  ac.abort(new Error('stopped by the user'));
  const { ctx } = ctxFor(greedyStep, { total_images: 50 }, { dataset: ds, histograms: s.histograms, mix: s.mix, quotas: s.quotas }, ac.signal);
  await assert.rejects(greedyStep.run(ctx), /stopped by the user/);
});
