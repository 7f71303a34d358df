/**
 * The sampler's real artifacts as chart data: run the stats → … → greedy-sample steps on a
 * small random LVIS-shaped dataset and check that every key, tier share, trace point and
 * quota reaches the charts unchanged, and that the `plot` step renders all of them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { PNG } from 'pngjs';
import type { StepContext, StepModule } from '../src/runner/step/step.js';
import statsStep from '../src/steps/stats.js';
import targetMixStep from '../src/steps/target-mix.js';
import histogramsStep from '../src/steps/histograms.js';
import quotasStep from '../src/steps/quotas.js';
import greedyStep from '../src/steps/greedy-sample.js';
import plotStep, { PLOT_OUTPUTS } from '../src/steps/plot.js';
import plotTiersStep, { TIER_PLOT_OUTPUTS } from '../src/steps/plot-tiers.js';
import { chartDataFromSampler, splitsFromTierStats } from '../src/lvis/plots/from-sampler.js';
import { randomDataset } from './helpers/make-dataset.js';

function ctxFor<O, I>(step: StepModule<O, I>, options: unknown, inputs: I, dir = '/nonexistent'): StepContext<O, I> {
  const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true });
  const opts = structuredClone(options) as Record<string, unknown>;
  assert.ok(ajv.validate(step.optionsSchema, opts), JSON.stringify(ajv.errors));
  return {
    stepId: step.type,
    options: opts as O,
    inputs,
    progress: { start() {}, update() {}, done() {} },
    log: () => {},
    signal: new AbortController().signal,
    outputFile: (name) => join(dir, name),
    tempDir: dir,
    fileDigests: {},
  };
}

const samples = new Map<string, ReturnType<typeof sampleWith>>();
function sampled(strategy: string) {
  if (!samples.has(strategy)) samples.set(strategy, sampleWith(strategy));
  return samples.get(strategy)!;
}

async function sampleWith(strategy: string) {
  const train = randomDataset(5, { images: 700, frequent: 8, common: 12, rare: 15, meanAnnotations: 5 });
  const val = randomDataset(6, { images: 150, frequent: 8, common: 12, rare: 15, meanAnnotations: 5 });
  const { stats } = await statsStep.run(ctxFor(statsStep, {}, { dataset: train }));
  const { stats: valStats } = await statsStep.run(ctxFor(statsStep, {}, { dataset: val }));
  const { mix } = await targetMixStep.run(ctxFor(targetMixStep, {}, { stats }));
  const { histograms } = await histogramsStep.run(ctxFor(histogramsStep, {}, { dataset: train }));
  const { quotas } = await quotasStep.run(ctxFor(quotasStep, {}, { dataset: train }));
  const out = await greedyStep.run(
    ctxFor(greedyStep, { total_images: 90, pool: 16, refine_iters: 25, strategy }, { dataset: train, histograms, mix, quotas }),
  );
  return { stats, valStats, details: out.details };
}

test('every key, tier share, trace point and quota of a real sample reaches the charts', async () => {
  const { stats, valStats, details } = await sampled('greedy');
  const splits = splitsFromTierStats(stats, valStats);
  assert.deepEqual(splits.map((s) => s.name), ['train', 'val']);
  assert.equal(splits[0]!.totals.annotations, stats.totals.annotations);
  assert.equal(splits[0]!.tiers.find((t) => t.tier === 'r')!.images, stats.images.r);
  assert.equal(splits[1]!.totals.images, valStats.totals.images);
  const data = chartDataFromSampler(details);
  assert.equal(data.keyShares!.length, details.keys.categoryId.length);
  assert.ok(Math.abs(data.keyShares!.reduce((s, k) => s + k.fullShare, 0) - 1) < 1e-9);
  for (const t of ['f', 'c', 'r'] as const) {
    const shares = data.sizeShares!.filter((s) => s.tier === t);
    assert.equal(shares.length, 3, t);
    assert.ok(Math.abs(shares.reduce((s, x) => s + x.full, 0) - 1) < 1e-9, t);
  }
  const g = details.trace.greedy.objective.length;
  const r = details.trace.refine.objective.length;
  assert.ok(g === 90 && r > 0, `${g} greedy, ${r} refine`);
  assert.equal(data.objective!.length, g + r);
  assert.deepEqual(data.objective!.map((p) => p.iteration), Array.from({ length: g + r }, (_, i) => i + 1));
  assert.equal(data.objective![g]!.phase, 'refine');
  assert.equal(data.objective![g - 1]!.values.objective, details.trace.greedy.objective[g - 1]);
  assert.equal(data.rareQuotas!.length, details.rareQuotas.categoryId.length);
  assert.ok(data.rareQuotas!.length > 0);
});

test('the plot step writes every chart of a sample as SVG and PNG; a random sample explains its missing trace', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lvis-pipe-plot-'));
  try {
    for (const strategy of ['greedy', 'random']) {
      const { stats, valStats, details } = await sampled(strategy);
      const { charts } = await plotStep.run(ctxFor(plotStep, { scale: 1 }, { details }, dir));
      assert.deepEqual(charts.charts.map((c) => c.id), PLOT_OUTPUTS.map((o) => o.chart));
      const { charts: tierCharts } = await plotTiersStep.run(ctxFor(plotTiersStep, { scale: 1 }, { train: stats, val: valStats }, dir));
      assert.deepEqual(tierCharts.charts.map((c) => c.id), ['tier-bars']);
      assert.ok((await readFile(join(dir, 'tiers_svg'), 'utf8')).includes('>val</text>'), 'the val bars are drawn');
      for (const o of [...TIER_PLOT_OUTPUTS, ...PLOT_OUTPUTS]) {
        const svg = await readFile(join(dir, `${o.name}_svg`), 'utf8');
        const png = PNG.sync.read(await readFile(join(dir, `${o.name}_png`)));
        const [, w, h] = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
        assert.deepEqual([png.width, png.height], [Number(w), Number(h)], `${strategy} ${o.name}`);
      }
      const objective = await readFile(join(dir, 'objective_svg'), 'utf8');
      if (strategy === 'random') {
        assert.ok(objective.includes('No objective trace: the `random` strategy does not build the subset by minimising it.'));
        assert.ok(!objective.includes('aria-roledescription="line mark"'));
      } else {
        assert.ok(objective.includes('aria-roledescription="line mark"'));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the plot step refuses a PNG scale outside (0, 8]', () => {
  const ajv = new Ajv({ useDefaults: true, strict: false, allowUnionTypes: true });
  for (const scale of [0, -1, 9, 'big']) assert.equal(ajv.validate(plotStep.optionsSchema, { scale }), false, String(scale));
  assert.equal(ajv.validate(plotStep.optionsSchema, { scale: 3, fidelity_png: null }), true);
  assert.equal(ajv.validate(plotTiersStep.optionsSchema, { scale: 3, tiers_png: null }), true);
  assert.equal(ajv.validate(plotStep.optionsSchema, { tiers_png: null }), false, 'the tier bars are plot-tiers\' own');
  for (const scale of [0, 9]) assert.equal(ajv.validate(plotTiersStep.optionsSchema, { scale }), false, String(scale));
  assert.equal(ajv.validate(plotStep.optionsSchema, { formats: ['png'] }), false, 'unknown options are errors');
});
