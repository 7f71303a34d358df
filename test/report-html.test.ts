/**
 * The run report. Without a browser: self-contained (no external resource), every part of the
 * model shown and escaped, the charts' specs carried intact, the DAG laid out left to right.
 * In headless Chromium, opened from disk with the network cut: no console error, every chart
 * drawn with its marks, tooltips on hover, the sweep table sorts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { browserTestSkip, withPage } from './helpers/browser.js';
import { SAMPLE_SIZE_SHARES, SAMPLE_SPLITS } from './helpers/chart-input.js';
import { buildCharts } from '../src/lvis/plots/index.js';
import { formatDuration, layoutDag } from '../src/lvis/report/dag-svg.js';
import type { ReportModel, ReportStep } from '../src/lvis/report/model.js';
import { flattenRecord, formatValue, renderReportHtml } from '../src/lvis/report/html.js';

const STEPS: ReportStep[] = [
  { id: 'load_train', type: 'load', status: 'cached', durationMs: 12, deps: [], outputs: [{ name: 'dataset' }] },
  { id: 'load_val', type: 'load', status: 'cached', durationMs: 8, deps: [], outputs: [{ name: 'dataset' }] },
  { id: 'stats_train', type: 'stats', status: 'cached', durationMs: 3, deps: ['load_train'], outputs: [{ name: 'stats' }] },
  { id: 'stats_val', type: 'stats', status: 'ran', durationMs: 40, deps: ['load_val'], outputs: [{ name: 'stats' }] },
  { id: 'sample', type: 'greedy-sample', status: 'ran', durationMs: 8123, deps: ['load_train', 'stats_train'], outputs: [{ name: 'sample' }, { name: 'quality' }] },
  { id: 'write', type: 'write', status: 'failed', durationMs: 412, deps: ['sample', 'load_train'], outputs: [], error: 'disk full <really>' },
  { id: 'plots', type: 'plot', status: 'ran', durationMs: 2100, deps: ['sample', 'stats_train', 'stats_val'], outputs: [{ name: 'tiers', path: 'out/plots/lvis_tiers_train_val.png' }] },
];

function reportModel(withSweep: boolean): ReportModel {
  const charts = buildCharts({
    splits: SAMPLE_SPLITS,
    keyShares: [
      { categoryId: 1, categoryName: 'person', tier: 'f', size: 'S', fullShare: 0.5, subsetShare: 0.45 },
      { categoryId: 2, categoryName: 'kayak', tier: 'c', size: 'M', fullShare: 0.3, subsetShare: 0.35 },
      { categoryId: 3, categoryName: 'armoire', tier: 'r', size: 'L', fullShare: 0.2, subsetShare: 0 },
    ],
    sizeShares: SAMPLE_SIZE_SHARES,
    objective: Array.from({ length: 30 }, (_, i) => ({ iteration: i + 1, phase: i < 25 ? 'greedy' : 'refine', values: { objective: 1 / (i + 1) } })),
    rareQuotas: [
      { categoryId: 3, categoryName: 'armoire', quota: 1, used: 0, images: 3 },
      { categoryId: 4, categoryName: 'kazoo', quota: 2, used: 2, images: 5 },
    ],
  });
  return {
    title: 'mini-LVIS run report',
    run: { id: '20250101T000000000Z-1-abc', pipeline: 'pipelines/mini-lvis.yaml', status: 'failed', startedAt: '2025-01-01T00:00:00.000Z', durationMs: 10_650 },
    params: { total_images: 10_000, alpha: 0.6, train_json: 'data/</script><script>alert(1)</script>.json' },
    steps: STEPS,
    metrics: [{ source: 'sample.quality', values: { js_divergence: 0.01234, mse: 1.2e-7, annotations_kept: 126_000, coverage: { f: 1, r: 0.61 } } }],
    charts: charts.map((c) => ({ id: c.id, title: c.title, spec: c.spec, files: [`out/plots/${c.fileBase}.png`] })),
    ...(withSweep
      ? {
          sweep: [
            { params: { alpha: 0.4, total_images: 5000 }, metrics: { js_divergence: 0.03, mse: 2e-7 }, durationMs: 5000, status: 'ran' },
            { params: { alpha: 0.6, total_images: 5000 }, metrics: { js_divergence: 0.01, mse: 1e-7 }, durationMs: 12, status: 'cached' },
            { params: { alpha: 0.8, total_images: 5000 }, metrics: { js_divergence: 0.02, mse: 3e-7 }, durationMs: 4000, status: 'failed' },
          ],
        }
      : {}),
  };
}

function elements(html: string, re: RegExp): string[] {
  return [...html.matchAll(re)].map((m) => m[0]);
}

describe('report HTML', () => {
  const model = reportModel(true);
  const html = renderReportHtml(model);

  test('is self-contained: libraries inlined, nothing loaded from outside', () => {
    // The markup, without the inlined scripts' text (which mentions `<img` and URLs).
    const markup = html.replace(/(<script\b[^>]*>).*?(<\/script>)/gs, '$1$2');
    assert.deepEqual(elements(markup, /<script\b[^>]*\ssrc=/gi), []);
    assert.deepEqual(elements(markup, /<link\b/gi), []);
    assert.deepEqual(elements(markup, /<(img|iframe|object|embed|image|use)\b/gi), []);
    assert.deepEqual(elements(markup, /\b(src|href)=/gi), []);
    assert.deepEqual(elements(markup, /url\((?!#)/gi), []);
    assert.ok(html.includes('vegaEmbed') && html.includes('vegaLite') && html.length > 800_000, 'vega, vega-lite and vega-embed are inlined');
    // Exactly the five scripts we put there: data, three libraries, boot.
    assert.equal(elements(html, /<script\b/gi).length, 5);
  });

  test('shows the parameters, escaped', () => {
    assert.ok(html.includes('<th scope="row">total_images</th><td>10000</td>'), 'a param as given, without thousands separators (a seed of 1337 is not "1,337")');
    assert.ok(html.includes('<th scope="row">alpha</th><td>0.6</td>'));
    assert.ok(html.includes('data/&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;.json'));
    assert.ok(!html.includes('<script>alert(1)'));
  });

  test('carries every chart spec intact, as JSON', () => {
    const json = /<script type="application\/json" id="lvis-report-data">(.*?)<\/script>/s.exec(html)![1]!;
    const data = JSON.parse(json) as { charts: { id: string; spec: unknown }[] };
    assert.deepEqual(data.charts.map((c) => c.id), ['tier-bars', 'class-size-fidelity', 'size-shares', 'objective', 'rare-quotas']);
    for (const c of data.charts) assert.deepEqual(c.spec, model.charts.find((m) => m.id === c.id)!.spec);
    for (const c of model.charts) assert.ok(html.includes(`id="chart-${c.id}"`));
  });

  test('draws the DAG and the step table with each status and time', () => {
    for (const s of STEPS) {
      assert.ok(html.includes(`<g class="dag-node" data-step="${s.id}" data-status="${s.status}">`), s.id);
      assert.ok(html.includes(`<tr data-step="${s.id}">`));
    }
    assert.equal(elements(html, /class="dag-edge"/g).length, STEPS.reduce((n, s) => n + s.deps.length, 0));
    assert.ok(html.includes('greedy-sample · ran · 8.12 s'));
    assert.ok(html.includes('disk full &lt;really&gt;'));
    assert.ok(html.includes('3 cached, 3 ran, 1 failed'));
  });

  test('shows the quality metrics, nested records flattened', () => {
    assert.ok(html.includes('<th scope="row">js_divergence</th><td>0.01234</td>'));
    assert.ok(html.includes('<th scope="row">mse</th><td>1.200e-7</td>'));
    assert.ok(html.includes('<th scope="row">coverage.r</th><td>0.61</td>'));
  });

  test('a sweep gets a sortable comparison table, one row per variant; a single run none', () => {
    const table = /<table class="sweep sortable">.*?<\/table>/s.exec(html)![0];
    assert.equal(elements(table, /<tr>/g).length, 1 + 3);
    for (const h of ['alpha', 'total_images', 'js_divergence', 'mse', 'Time', 'Status']) assert.ok(table.includes(`>${h}</th>`), h);
    assert.ok(!renderReportHtml(reportModel(false)).includes('id="sweep"'));
  });

  test('is a pure function of its model', () => {
    assert.equal(renderReportHtml(reportModel(true)), html);
  });
});

describe('report HTML with control characters in its text', () => {
  test('params, errors, file names and the charts embedded show them escaped, as the terminal does', () => {
    const base = reportModel(false);
    const charts = buildCharts({ splits: SAMPLE_SPLITS, rareQuotas: [{ categoryId: 3, categoryName: 'bell\u0007', quota: 1, used: 1, images: 2 }] });
    const html = renderReportHtml({
      ...base,
      params: { ...base.params, images_url: 'http://x/\u001b]0;PWNED\u0007\u001b[2J/' },
      steps: base.steps.map((s) => (s.id === 'write' ? { ...s, error: 'near: "name": "bell\u0007"' } : s)),
      charts: charts.map((c) => ({ id: c.id, title: c.title, spec: c.spec, files: [`out/plots/\u001b[2J${c.fileBase}.png`] })),
    });
    // The markup, without the inlined scripts (the libraries' own text is not ours to check).
    const markup = html.replace(/(<script\b[^>]*>).*?(<\/script>)/gs, '$1$2');
    // eslint-disable-next-line no-control-regex
    const raw = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.exec(markup);
    assert.equal(raw, null, `a raw control character: …${raw ? JSON.stringify(markup.slice(raw.index - 60, raw.index + 20)) : ''}…`);
    assert.ok(markup.includes('http://x/\\x1b]0;PWNED\\x07\\x1b[2J/'), 'the param');
    assert.ok(markup.includes('near: &quot;name&quot;: &quot;bell\\x07&quot;'), 'the step error');
    assert.ok(markup.includes('out/plots/\\x1b[2Jlvis_rare_quota_usage.png'), 'the file under the chart');
    const json = /<script type="application\/json" id="lvis-report-data">(.*?)<\/script>/s.exec(html)![1]!;
    const data = JSON.parse(json) as { charts: { id: string; spec: unknown }[] };
    assert.ok(JSON.stringify(data.charts.find((c) => c.id === 'rare-quotas')!.spec).includes('bell\\\\x07'), 'the chart drawn in the browser shows what the PNG shows');
  });
});

describe('report helpers', () => {
  test('DAG layout: every step right of its inputs, boxes in a column do not overlap', () => {
    const layout = layoutDag(STEPS);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    for (const s of STEPS) for (const d of s.deps) assert.ok(at.get(s.id)!.x > at.get(d)!.x + at.get(d)!.w, `${d} → ${s.id}`);
    assert.equal(at.get('load_train')!.column, 0);
    assert.equal(at.get('sample')!.column, 2);
    assert.equal(at.get('write')!.column, 3);
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b || a.column !== b.column) continue;
        assert.ok(a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.id} overlaps ${b.id}`);
      }
      assert.ok(a.x + a.w <= layout.width && a.y + a.h <= layout.height);
    }
  });

  test('durations and values read naturally', () => {
    assert.equal(formatDuration(3.4), '3 ms');
    assert.equal(formatDuration(8123), '8.12 s');
    assert.equal(formatDuration(42_500), '42.5 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatValue(1_270_141), '1,270,141');
    assert.equal(formatValue(0.123456), '0.1235');
    assert.equal(formatValue(3e-5), '3.000e-5');
    assert.equal(formatValue(null), '–');
    assert.deepEqual(flattenRecord({ a: 1, b: { c: 2, d: { e: 'x' } }, f: [1] }), [['a', 1], ['b.c', 2], ['b.d.e', 'x'], ['f', [1]]]);
  });
});

describe('report in headless Chromium', { skip: browserTestSkip() }, () => {
  test('opens offline from disk, draws every chart without a console error, tooltips and sorting work', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lvis-pipe-report-'));
    try {
      const model = reportModel(true);
      const file = join(dir, 'report.html');
      await writeFile(file, renderReportHtml(model));
      await withPage(async (page) => {
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        await page.route('**/*', (route) => {
          const url = route.request().url();
          if (url.startsWith('file:')) return route.continue();
          requests.push(url);
          return route.abort();
        });
        await page.goto(pathToFileURL(file).href);
        const drawn = await page.evaluate(() => (globalThis as unknown as { lvisReportReady: Promise<number> }).lvisReportReady);
        assert.equal(drawn, model.charts.length);

        // Every chart: an SVG with marks in its container.
        for (const c of model.charts) {
          const container = page.locator(`#chart-${c.id}`);
          assert.equal(await container.getAttribute('data-rendered'), 'true', c.id);
          const marks = await container.locator('svg g.role-mark > *').count();
          assert.ok(marks > 0, `${c.id}: ${marks} marks`);
        }
        assert.equal(await page.locator('#chart-tier-bars svg path[aria-roledescription="bar"]').count(), 18);
        assert.equal(await page.locator('#chart-class-size-fidelity svg path[aria-roledescription="point"]').count(), 3);
        assert.equal(await page.locator('#chart-objective svg path[aria-roledescription="line mark"]').count(), 1);
        const axisTitles = await page.locator('#chart-tier-bars svg g.role-axis-title text').allTextContents();
        assert.ok(axisTitles.includes('Share of annotations'));

        // Tooltips: hovering a point shows its category.
        const point = page.locator('#chart-class-size-fidelity svg path[aria-roledescription="point"]').first();
        await point.hover({ force: true });
        const tooltip = page.locator('#vg-tooltip-element');
        await tooltip.waitFor({ state: 'visible', timeout: 5000 });
        assert.match((await tooltip.textContent()) ?? '', /Category(person|kayak|armoire)/);

        // The DAG and the step table.
        assert.equal(await page.locator('svg.dag g.dag-node').count(), STEPS.length);
        assert.equal(await page.locator('svg.dag g.dag-node[data-status="failed"]').count(), 1);

        // Sorting the sweep table by a metric.
        const column = (await page.locator('table.sweep thead th').allTextContents()).indexOf('js_divergence');
        assert.ok(column >= 0);
        await page.locator('table.sweep thead th').nth(column).click();
        const values = await page.locator(`table.sweep tbody tr td:nth-child(${column + 1})`).allTextContents();
        assert.deepEqual(values, ['0.01', '0.02', '0.03']);

        assert.deepEqual(problems, []);
        assert.deepEqual(requests, []);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
