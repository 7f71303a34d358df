/**
 * Every chart lvis-pipe draws lays out its own text (titles, legends, axis titles, tooltips)
 * from the metrics table, so a chart worker never parses the font files (0.2–0.3 s). A new
 * chart string with a character outside font-table.ts's TABLE_RANGES fails here: add the
 * range and run `npm run fonts`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderSvg } from '../src/render/chart.js';
import { fontFilesParsed } from '../src/render/text-metrics.js';
import { buildCharts, type ObjectivePoint } from '../src/lvis/plots/index.js';
import { SAMPLE_SIZE_SHARES, SAMPLE_SPLITS } from './helpers/chart-input.js';

test('drawing every chart kind measures its text from the table, never parsing the fonts', async () => {
  const trace: ObjectivePoint[] = Array.from({ length: 40 }, (_, i) => ({
    iteration: i + 1,
    phase: i < 30 ? 'greedy' : 'refine',
    values: { objective: 1 / (i + 1), tierPenalty: 0.1 / (i + 1), capPenalty: 0.01, densityPenalty: 0.02 / (i + 1) },
  }));
  const charts = buildCharts({
    splits: SAMPLE_SPLITS,
    keyShares: [
      { categoryId: 1, categoryName: 'aerosol_can', tier: 'f', size: 'S', fullShare: 0.5, subsetShare: 0.45 },
      { categoryId: 2, categoryName: 'crème_brûlée', tier: 'c', size: 'M', fullShare: 0.3, subsetShare: 0.35 },
      { categoryId: 3, categoryName: 'yoke_(animal_equipment)', tier: 'r', size: 'L', fullShare: 0.2, subsetShare: 0.2 },
    ],
    sizeShares: SAMPLE_SIZE_SHARES,
    objective: trace,
    rareQuotas: Array.from({ length: 12 }, (_, i) => ({ categoryId: 100 + i, categoryName: `rare_${i}`, quota: 2, used: i % 3, images: 2 + i })),
  });
  assert.ok(charts.length >= 5);
  for (const chart of charts) {
    const { svg } = await renderSvg(chart.spec);
    assert.match(svg, /<text/);
  }
  assert.equal(fontFilesParsed(), false);
});
