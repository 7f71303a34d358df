/**
 * A sweep on the real LVIS steps and the bundled sample data (3,000 images): 2 alphas × 2
 * lambda_tier values at 100 images. load, stats, histograms and quotas run once, the target
 * mix once per alpha, the sampler (in worker threads) and the writer once per variant; every
 * variant's subset lands in its own folder with exactly its own images; the comparison is
 * sorted by the sampler's js_divergence; each variant's report carries the sweep table; a
 * second sweep is all cache hits.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { RunEvent } from '../src/runner/exec/events.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { SweepReport } from '../src/runner/sweep/report.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';

const SAMPLE = new URL('../../data/sample/lvis_v1_train_synth.json.gz', import.meta.url).pathname;
// With its module URL, so that CPU-heavy steps run in worker threads as in the real CLI.
const registry = new StepRegistry(STEP_MODULES, { moduleUrl: new URL('../src/steps/index.js', import.meta.url).href, exportName: 'STEP_MODULES' });

const PIPELINE = `params:
  train: ${JSON.stringify(SAMPLE)}
  total_images: 100
  alpha: 0.6
  lambda_tier: 1
steps:
  load: { type: load, options: { path: "\${params.train}" } }
  stats: { type: stats, inputs: { dataset: load } }
  mix: { type: target-mix, inputs: { stats: stats }, options: { alpha: "\${params.alpha}" } }
  histograms: { type: histograms, inputs: { dataset: load } }
  quotas: { type: quotas, inputs: { dataset: load } }
  sample:
    type: greedy-sample
    inputs: { dataset: load, histograms: histograms, mix: mix, quotas: quotas }
    # No cover phase: at 100 images it would choose them all, whatever alpha and lambda_tier.
    options: { total_images: "\${params.total_images}", lambda_tier: "\${params.lambda_tier}", pool: 32, cover: false }
  subset: { type: write, inputs: { dataset: load, sample: sample.sample }, options: { out: out/mini.json } }
  report: { type: report, options: { out: out/report.html, title: sweep } }
sweep:
  grid: { alpha: [0.4, 0.8], lambda_tier: [0, 2] }
  sort_by: js_divergence
`;

interface Lvis {
  images: { id: number }[];
  annotations: { image_id: number }[];
}

const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);

describe('sweep on the LVIS steps (sample data)', () => {
  let ws: Workspace;
  let result: SweepReport;
  let evs: RunEvent[];
  before(async () => {
    ws = new Workspace();
    ws.write('p.yaml', PIPELINE);
    const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2'], { cwd: ws.dir, registry });
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
    evs = events(r.stdout);
    const fin = evs.find((e) => e.type === 'sweep-finish');
    assert.ok(fin?.type === 'sweep-finish');
    result = fin.result;
  });
  after(() => ws.remove());

  it('runs the shared steps once: one run record per key', () => {
    const records = ws.records();
    const count = (step: string) => records.filter((x) => x.stepId === step).length;
    assert.deepEqual(
      Object.fromEntries(['load', 'stats', 'histograms', 'quotas', 'mix', 'sample', 'subset', 'report'].map((s) => [s, count(s)])),
      { load: 1, stats: 1, histograms: 1, quotas: 1, mix: 2, sample: 4, subset: 4, report: 1 },
    );
    const sampleStarts = evs.filter((e) => e.type === 'step-start' && e.stepId === 'sample');
    assert.equal(sampleStarts.length, 4);
    assert.ok(sampleStarts.every((e) => e.type === 'step-start' && e.worker), 'the sampler runs in worker threads');
  });

  it('writes each variant’s subset to its own folder, with exactly its sample’s images', () => {
    const seen = new Set<string>();
    for (const v of result.variants) {
      assert.equal(v.status, 'ok');
      const file = `${v.folder}/mini.json`;
      assert.equal(file, ws.path('out/sweep', v.name, 'mini.json'));
      const mini = JSON.parse(readFileSync(file, 'utf8')) as Lvis;
      assert.equal(mini.images.length, 100);
      assert.equal(v.metrics.images, 100);
      const ids = new Set(mini.images.map((im) => im.id));
      assert.ok(mini.annotations.every((a) => ids.has(a.image_id)));
      assert.equal(mini.annotations.length, v.metrics.annotations_kept);
      seen.add([...ids].sort((a, b) => a - b).join(','));
    }
    assert.ok(seen.size >= 2, 'different params choose different images');
    // Nothing at the plain paths: the subset, and the report page the report step's after-run hook writes on a plain run.
    assert.equal(existsSync(ws.path('out/mini.json')), false);
    assert.equal(existsSync(ws.path('out/report.html')), false);
  });

  it('compares the variants by js_divergence, ascending, and draws it against alpha', () => {
    assert.deepEqual(result.varying, ['alpha', 'lambda_tier']);
    assert.equal(result.sortBy, 'js_divergence');
    const js = result.variants.map((v) => v.metrics.js_divergence as number);
    assert.ok(js.every((x) => x > 0 && x < 1));
    assert.deepEqual(js, [...js].sort((a, b) => a - b));
    assert.deepEqual(result.variants.map((v) => v.name).sort(), ['alpha=0.4,lambda_tier=0', 'alpha=0.4,lambda_tier=2', 'alpha=0.8,lambda_tier=0', 'alpha=0.8,lambda_tier=2']);
    const svg = ws.read('out/sweep/js_divergence-by-alpha.svg');
    assert.ok(svg.includes('js_divergence by alpha'));
    assert.ok(svg.includes('lambda_tier'), 'coloured by the other varying param');
  });

  it('gives each variant a report with the sweep’s comparison table', () => {
    for (const v of result.variants) {
      const html = readFileSync(ws.path('out/sweep', v.name, 'report.html'), 'utf8');
      const table = /<table class="sweep sortable">.*?<\/table>/s.exec(html)?.[0];
      assert.ok(table, v.name);
      assert.equal((table.match(/<tr>/g) ?? []).length, 1 + 4, 'a header and one row per variant');
    }
  });

  it('report of a pipeline only ever swept says where the variants’ reports are and how to name one', async () => {
    const r = await runCli(['report', 'p.yaml'], { cwd: ws.dir, registry });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /p\.yaml has only been run as sweep variants \(4\); the sweep wrote each variant's report into the variant's folder\. To report one of them here, name it: --run ID/);
    // `--run @` means the same as no --run: not the newest variant.
    const at = await runCli(['report', 'p.yaml', '--run', '@'], { cwd: ws.dir, registry });
    assert.equal(at.code, 1);
    assert.equal(at.stderr, r.stderr);
  });

  it('a second sweep is all cache hits', async () => {
    const r = await runCli(['sweep', 'p.yaml', '--json', '--jobs', '2'], { cwd: ws.dir, registry });
    assert.equal(r.code, 0, r.stderr);
    const fin = events(r.stdout).find((e) => e.type === 'sweep-finish');
    assert.ok(fin?.type === 'sweep-finish');
    assert.ok(fin.result.variants.every((v) => v.steps.cached === 8 && v.steps.ran === 0));
    assert.deepEqual(
      fin.result.variants.map((v) => [v.name, v.metrics.js_divergence]),
      result.variants.map((v) => [v.name, v.metrics.js_divergence]),
    );
  });
});
