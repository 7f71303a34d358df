/**
 * Plots and report end to end, through the real CLI and runner: a pipeline of the sampler's
 * steps on a small random LVIS-shaped dataset, then `plot` and `report`. The run writes every
 * chart file; `lvis-pipe report` writes the page from the run's history, with each step's
 * status as that run saw it; the page, opened in Chromium, draws every chart.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { shortRunId } from '../src/runner/cache/history.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { ArtifactKind, StepModule } from '../src/runner/step/step.js';
import statsStep from '../src/steps/stats.js';
import targetMixStep from '../src/steps/target-mix.js';
import histogramsStep from '../src/steps/histograms.js';
import quotasStep from '../src/steps/quotas.js';
import greedyStep from '../src/steps/greedy-sample.js';
import plotStep, { PLOT_OUTPUTS } from '../src/steps/plot.js';
import plotTiersStep, { TIER_PLOT_OUTPUTS } from '../src/steps/plot-tiers.js';
import reportStep from '../src/steps/report.js';
import { browserTestSkip, withPage } from './helpers/browser.js';
import { randomDataset } from './helpers/make-dataset.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

/** The dataset kind as the sampler steps read it (the `load` step's place, in this test). */
const datasetKind: ArtifactKind<Dataset> = {
  name: 'lvis.dataset',
  storage: 'value',
  encode: (ds) => new Uint8Array(serialize(ds)),
  decode: (bytes) => deserialize(bytes) as Dataset,
};

const fixtureDataset: StepModule<{ seed: number; images: number }, Record<string, never>, { dataset: Dataset }> = {
  type: 'fixture-dataset',
  version: 1,
  description: 'a random LVIS-shaped dataset',
  optionsSchema: {
    type: 'object',
    properties: { seed: { type: 'integer', default: 1 }, images: { type: 'integer', default: 600 } },
    additionalProperties: false,
  },
  inputs: {},
  outputs: { dataset: { kind: 'lvis.dataset' } },
  kinds: [datasetKind],
  async run(ctx) {
    const { seed, images } = ctx.options;
    return { dataset: randomDataset(seed, { images, frequent: 10, common: 14, rare: 16, meanAnnotations: 5 }) };
  },
};

const registry = new StepRegistry([fixtureDataset, statsStep, targetMixStep, histogramsStep, quotasStep, greedyStep, plotTiersStep, plotStep, reportStep]);
const ALL_PLOTS = [...TIER_PLOT_OUTPUTS, ...PLOT_OUTPUTS];

const PIPELINE = `
params:
  total_images: 80
steps:
  train: { type: fixture-dataset, options: { seed: 31 } }
  val: { type: fixture-dataset, options: { seed: 32, images: 150 } }
  stats_train: { type: stats, inputs: { dataset: train } }
  stats_val: { type: stats, inputs: { dataset: val } }
  mix: { type: target-mix, inputs: { stats: stats_train } }
  histograms: { type: histograms, inputs: { dataset: train } }
  quotas: { type: quotas, inputs: { dataset: train } }
  sample:
    type: greedy-sample
    inputs: { dataset: train, histograms: histograms, mix: mix, quotas: quotas }
    options: { total_images: "\${params.total_images}", pool: 32, refine_iters: 40 }
  tier_plots:
    type: plot-tiers
    inputs: { train: stats_train, val: stats_val }
    options: { scale: 1.5 }
  plots:
    type: plot
    inputs: { details: sample.details }
    options: { scale: 1.5 }
  report:
    type: report
    inputs: { dataset_charts: tier_plots.charts, charts: plots.charts }
    options: { title: "Mini run" }
`;

const run = (ws: Workspace, ...args: string[]) => runCli(args, { cwd: ws.dir, registry });

describe('plot and report through the CLI', () => {
  let ws: Workspace;
  before(() => {
    ws = new Workspace();
    ws.write('p.yaml', PIPELINE);
  });
  after(() => ws.remove());

  let firstRunId = '';

  test('a run writes every chart as SVG and PNG at its default path', async () => {
    const r = await run(ws, 'run', 'p.yaml', '--json', '--jobs', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Object.values(statuses(r.events)).every((s) => s === 'ran'));
    firstRunId = ws.lastRun().runId;
    for (const o of ALL_PLOTS) {
      const svg = ws.read(`out/plots/${o.file}.svg`);
      assert.match(svg, /^<svg [^>]*width="(\d+)" height="(\d+)"/);
      const [, w, h] = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg)!;
      const png = PNG.sync.read(readFileSync(ws.path(`out/plots/${o.file}.png`)));
      assert.equal(png.width, Math.round(Number(w) * 1.5), o.file);
      assert.equal(png.height, Math.round(Number(h) * 1.5), o.file);
    }
    // The sampler's data reached the charts: one point per (category, size) key of the run.
    const details = ws.lastRun().steps.sample!;
    assert.equal(details.status, 'ran');
    const fidelity = ws.read('out/plots/lvis_class_size_fidelity.svg');
    const points = fidelity.match(/aria-roledescription="point"/g)?.length ?? 0;
    assert.ok(points > 40, `${points} keys`);
    assert.ok(ws.read('out/plots/lvis_greedy_objective.svg').includes('>refine phase</text>'));
    // The report page is written by `lvis-pipe report` (or the run command's final phase).
  });

  test('`lvis-pipe report` writes the page of the latest run, from its history', async () => {
    const r = await run(ws, 'report', 'p.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`report of run ${firstRunId}: out/report.html`));
    const html = ws.read('out/report.html');
    assert.ok(html.includes('<title>Mini run</title>'));
    for (const id of ['train', 'val', 'stats_train', 'sample', 'plots', 'report']) {
      assert.ok(html.includes(`data-step="${id}" data-status="ran"`), id);
    }
    assert.ok(html.includes('<th scope="row">total_images</th><td>80</td>'));
    assert.ok(html.includes('>sample.quality</h3>'));
    assert.ok(/<th scope="row">js_divergence<\/th><td>[\d.e-]+<\/td>/.test(html));
    for (const o of ALL_PLOTS) assert.ok(html.includes(`plots/${o.file}.png`), o.file);
    assert.ok(html.includes('id="chart-tier-bars"') && html.includes('id="chart-rare-quotas"'));
  });

  test('a second run is all cache hits, and its report says so; --run reports the first', async () => {
    rmSync(ws.path('out/plots/lvis_tiers_train_val.png'));
    const r = await run(ws, 'run', 'p.yaml', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(Object.values(statuses(r.events)).every((s) => s === 'cached'));
    assert.ok(existsSync(ws.path('out/plots/lvis_tiers_train_val.png')), 'restored from the cache');
    assert.equal((await run(ws, 'report', 'p.yaml')).code, 0);
    const html = ws.read('out/report.html');
    assert.ok(html.includes('data-step="sample" data-status="cached"'));
    assert.ok(!html.includes('data-status="ran"'));
    const first = await run(ws, 'report', 'p.yaml', '--run', firstRunId, '--out', 'first.html');
    assert.equal(first.code, 0, first.stderr);
    assert.ok(ws.read('first.html').includes('data-step="sample" data-status="ran"'));
    // Runs are named as `runs` and `diff` name them: the short id `runs` prints, a prefix, @~N.
    const short = shortRunId(firstRunId);
    for (const ref of [short, short.slice(0, 4), '@~1']) {
      const r2 = await run(ws, 'report', 'p.yaml', '--run', ref, '--out', `by-${ref}.html`);
      assert.equal(r2.code, 0, `${ref}: ${r2.stderr}`);
      assert.ok(ws.read(`by-${ref}.html`).includes('data-step="sample" data-status="ran"'), ref);
    }
    const newest = await run(ws, 'report', 'p.yaml', '--run', '@', '--out', 'newest.html');
    assert.equal(newest.code, 0, newest.stderr);
    assert.ok(ws.read('newest.html').includes('data-step="sample" data-status="cached"'));
  });

  test('what cannot be reported is said plainly', async () => {
    const noReport = PIPELINE.replace(/ {2}report:\n[\s\S]*$/, '');
    ws.write('no-report.yaml', noReport);
    let r = await run(ws, 'report', 'no-report.yaml');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has no step that writes a report after the run: add one \(type: report\)/);
    ws.write('fresh.yaml', PIPELINE);
    r = await run(ws, 'report', 'fresh.yaml');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /has not been run yet/);
    r = await run(ws, 'report', 'p.yaml', '--run', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no run `nope` among the runs of p\.yaml; the newest: /);
    r = await run(ws, 'report', 'p.yaml', '--run', 'ab');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /give at least 4 characters of a run id/);
  });

  test('the page of a real run draws every chart in Chromium, offline, without a console error', { skip: browserTestSkip() }, async () => {
    await withPage(async (page) => {
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
      await page.goto(pathToFileURL(ws.path('out/report.html')).href);
      const drawn = await page.evaluate(() => (globalThis as unknown as { lvisReportReady: Promise<number> }).lvisReportReady);
      assert.equal(drawn, ALL_PLOTS.length);
      for (const o of ALL_PLOTS) {
        const marks = await page.locator(`#chart-${o.chart} svg g.role-mark > *`).count();
        assert.ok(marks > 0, `${o.chart}: ${marks} marks`);
      }
      assert.equal(await page.locator('svg.dag g.dag-node').count(), 11);
      assert.deepEqual(problems, []);
    });
  });
});
