/**
 * Every chart rendered headless from small, real-shaped data: the SVG must hold the marks the
 * data calls for (one bar per value, one point per key), at the right place, with the titles,
 * axis titles, legend entries and labels a reader needs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderSvg } from '../src/render/chart.js';
import {
  buildCharts,
  classSizeFidelityChart,
  objectiveChart,
  rareQuotaUsageChart,
  sizeSharesChart,
  tierBarsChart,
  type KeyShare,
  type ObjectivePoint,
  type RareQuotaUse,
  type SplitTierStats,
  type TierSizeShare,
} from '../src/lvis/plots/index.js';
import { MAX_TRACE_POINTS, thinTrace } from '../src/lvis/plots/objective-trace.js';
import { quotaStatus } from '../src/lvis/plots/rare-quota-usage.js';
import { FULL_VS_SUBSET, SPLIT_COLORS, TIER_COLORS } from '../src/lvis/plots/theme.js';

// --- reading Vega's SVG ------------------------------------------------------------------

/** aria-labels of the mark items of one kind (`bar`, `point`, `line mark`, ...). */
function items(svg: string, role: string): { label: string; tag: string; text: string }[] {
  const out: { label: string; tag: string; text: string }[] = [];
  const re = /<(path|line|text)\b([^>]*)>(?:([^<]*)<\/text>)?/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const attrs = m[2]!;
    if (!attrs.includes(`aria-roledescription="${role}"`)) continue;
    out.push({ label: unescape(/aria-label="([^"]*)"/.exec(attrs)?.[1] ?? ''), tag: m[0], text: unescape(m[3] ?? '') });
  }
  return out;
}

/** Text content of every <text> inside the groups of a role (axis-title, legend-label, ...). */
function texts(svg: string, role: string): string[] {
  const out: string[] = [];
  const group = new RegExp(`<g class="mark-text role-${role}[^"]*"[^>]*>(.*?)</g>`, 'g');
  for (let g = group.exec(svg); g; g = group.exec(svg)) {
    for (const t of g[1]!.matchAll(/<text[^>]*>(.*?)<\/text>/g)) {
      const inner = t[1]!;
      const spans = [...inner.matchAll(/<tspan[^>]*>(.*?)<\/tspan>/g)].map((s) => s[1]!);
      out.push(...(spans.length ? spans : [inner]).map(unescape));
    }
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

function field(label: string, name: string): string | undefined {
  for (const part of label.split('; ')) {
    const i = part.indexOf(': ');
    if (part.slice(0, i) === name) return part.slice(i + 2);
  }
  return undefined;
}

function fill(tag: string): string | undefined {
  return /fill="([^"]*)"/.exec(tag)?.[1];
}

/** Height of a bar path `M x,y h w v H h -w Z`. */
function barHeight(tag: string): number {
  const d = /d="M[-\d.e]+,[-\d.e]+h[-\d.e]+v([-\d.e]+)/.exec(tag);
  assert.ok(d, `not a bar path: ${tag}`);
  return Number(d[1]);
}

function translate(tag: string): [number, number] {
  const t = /transform="translate\(([-\d.e]+),([-\d.e]+)\)"/.exec(tag);
  assert.ok(t, `no translate in ${tag}`);
  return [Number(t[1]), Number(t[2])];
}

// --- small real-shaped data --------------------------------------------------------------

const train: SplitTierStats = {
  name: 'train',
  tiers: [
    { tier: 'f', categories: 405, annotations: 1_140_000, images: 99_000 },
    { tier: 'c', categories: 461, annotations: 116_000, images: 40_000 },
    { tier: 'r', categories: 337, annotations: 14_141, images: 8_000 },
  ],
  totals: { categories: 1203, annotations: 1_270_141, images: 100_170 },
};
const val: SplitTierStats = {
  name: 'val',
  tiers: [
    { tier: 'f', categories: 405, annotations: 220_000, images: 19_500 },
    { tier: 'c', categories: 440, annotations: 22_000, images: 8_100 },
    { tier: 'r', categories: 190, annotations: 2_707, images: 1_500 },
  ],
  totals: { categories: 1035, annotations: 244_707, images: 19_809 },
};

/** Counts per (category, size) in a full set and a subset; shares are counts over totals. */
function keyShares(): KeyShare[] {
  const rows: [number, string, 'f' | 'c' | 'r', 'S' | 'M' | 'L', number, number][] = [
    [1, 'person', 'f', 'S', 4000, 400],
    [1, 'person', 'f', 'M', 3000, 300],
    [1, 'person', 'f', 'L', 2000, 190],
    [2, 'dog', 'f', 'M', 800, 80],
    [3, 'kayak', 'c', 'S', 90, 12],
    [3, 'kayak', 'c', 'L', 40, 4],
    [4, 'gemstone', 'r', 'S', 6, 1],
    [5, 'armoire', 'r', 'L', 4, 0],
    [6, 'bolo_tie', 'r', 'M', 3, 0],
  ];
  const fullTotal = rows.reduce((s, r) => s + r[4], 0);
  const subTotal = rows.reduce((s, r) => s + r[5], 0);
  return rows.map(([categoryId, categoryName, tier, size, f, s]) => ({
    categoryId,
    categoryName,
    tier,
    size,
    fullShare: f / fullTotal,
    subsetShare: s / subTotal,
  }));
}

const sizeShares: TierSizeShare[] = [
  { tier: 'f', size: 'S', full: 0.42, subset: 0.4 },
  { tier: 'f', size: 'M', full: 0.33, subset: 0.34 },
  { tier: 'f', size: 'L', full: 0.25, subset: 0.26 },
  { tier: 'c', size: 'S', full: 0.38, subset: 0.35 },
  { tier: 'c', size: 'M', full: 0.35, subset: 0.37 },
  { tier: 'c', size: 'L', full: 0.27, subset: 0.28 },
  { tier: 'r', size: 'S', full: 0.3, subset: 0.22 },
  { tier: 'r', size: 'M', full: 0.36, subset: 0.4 },
  { tier: 'r', size: 'L', full: 0.34, subset: 0.38 },
];

function trace(greedy: number, refine: number): ObjectivePoint[] {
  const out: ObjectivePoint[] = [];
  for (let i = 1; i <= greedy; i++) out.push({ iteration: i, phase: 'greedy', values: { objective: 0.05 / i } });
  for (let j = 1; j <= refine; j++) out.push({ iteration: greedy + j, phase: 'refine', values: { objective: 0.05 / greedy - j * 1e-6 } });
  return out;
}

const quotas: RareQuotaUse[] = [
  { categoryId: 10, categoryName: 'armoire', quota: 2, used: 2, images: 5 },
  { categoryId: 11, categoryName: 'bolo_tie', quota: 2, used: 0, images: 4 },
  { categoryId: 12, categoryName: 'gemstone', quota: 1, used: 1, images: 1 },
  { categoryId: 13, categoryName: 'kazoo', quota: 1, used: 3, images: 8 },
  { categoryId: 14, categoryName: 'ladle', quota: 2, used: 1, images: 6 },
  { categoryId: 15, categoryName: 'omelet', quota: 2, used: 2, images: 2 },
];

// --- the charts ---------------------------------------------------------------------------

describe('tier bars (plot_tier_bars)', () => {
  test('one bar per split, tier and measure, heights proportional to the shares', async () => {
    const chart = tierBarsChart([train, val]);
    assert.equal(chart.fileBase, 'lvis_tiers_train_val');
    const { svg, warnings } = await renderSvg(chart.spec);
    assert.deepEqual(warnings, []);
    const bars = items(svg, 'bar');
    assert.equal(bars.length, 2 * 3 * 3);
    const bar = (split: string, tier: string, measure: string) => {
      const b = bars.filter((x) => field(x.label, 'Split') === split && field(x.label, 'Tier') === tier && field(x.label, measure) !== undefined);
      assert.equal(b.length, 1, `${split}/${tier}/${measure}`);
      return b[0]!;
    };
    assert.equal(field(bar('train', 'frequent', 'Classes').label, 'Classes'), '405');
    assert.equal(field(bar('val', 'rare', 'Annotations').label, 'Annotations'), '2,707');
    assert.equal(field(bar('train', 'common', 'Images').label, 'Images'), '40,000');
    // Same panel, same split: heights follow the shares of the split's total.
    const hf = barHeight(bar('train', 'frequent', 'Classes').tag);
    const hr = barHeight(bar('train', 'rare', 'Classes').tag);
    assert.ok(Math.abs(hf / hr - 405 / 337) < 0.01, `${hf / hr}`);
    // Val's share, not its (5× smaller) count, sets its height.
    const vf = barHeight(bar('val', 'frequent', 'Classes').tag);
    assert.ok(Math.abs(vf / hf - 405 / 1035 / (405 / 1203)) < 0.01);
    // Colour by split.
    assert.equal(fill(bar('train', 'rare', 'Images').tag), SPLIT_COLORS[0]);
    assert.equal(fill(bar('val', 'rare', 'Images').tag), SPLIT_COLORS[1]);

    assert.deepEqual(texts(svg, 'axis-title'), [
      'Frequency tier', 'Share of classes', 'Frequency tier', 'Share of annotations', 'Frequency tier', 'Share of images',
    ]);
    assert.deepEqual(texts(svg, 'axis-label').filter((t) => !t.endsWith('%')), [
      'frequent', 'common', 'rare', 'frequent', 'common', 'rare', 'frequent', 'common', 'rare',
    ]);
    assert.deepEqual(texts(svg, 'legend-title'), ['Split']);
    assert.deepEqual(texts(svg, 'legend-label'), ['train', 'val']);
    assert.deepEqual(texts(svg, 'title-text').sort(), ['Annotations', 'Classes', 'Frequency tiers: train vs val', 'Images']);
    // Every bar carries its count.
    const labels = items(svg, 'text mark').map((t) => t.text);
    assert.equal(labels.length, 18);
    for (const l of ['405', '1.14M', '220k', '2,707', '99k', '8,000']) assert.ok(labels.includes(l), `label ${l} in ${labels}`);
  });

  test('train alone: one bar per tier and measure, one legend entry', async () => {
    const { svg } = await renderSvg(tierBarsChart([train]).spec);
    assert.equal(items(svg, 'bar').length, 9);
    assert.deepEqual(texts(svg, 'legend-label'), ['train']);
    assert.ok(texts(svg, 'title-text').includes('Frequency tiers: train'));
  });

  test('no split is a programming error', () => {
    assert.throws(() => tierBarsChart([]), /at least one split/);
  });
});

describe('class×size fidelity', () => {
  test('one point per key, absent keys as crosses on the floor, faithful keys on y = x', async () => {
    const keys = keyShares();
    const { svg, warnings } = await renderSvg(classSizeFidelityChart(keys).spec);
    assert.deepEqual(warnings, []);
    const points = items(svg, 'point');
    assert.equal(points.length, keys.length);
    const absent = points.filter((p) => field(p.label, 'Key') === 'absent from subset');
    assert.deepEqual(absent.map((p) => field(p.label, 'Category')).sort(), ['armoire', 'bolo_tie']);
    // Crosses and circles are different symbols; all crosses sit on one floor line, below every circle.
    const circlePath = /d="([^"]*)"/.exec(points.find((p) => field(p.label, 'Key') === 'in subset')!.tag)![1];
    for (const p of absent) assert.notEqual(/d="([^"]*)"/.exec(p.tag)![1], circlePath);
    const floorY = new Set(absent.map((p) => translate(p.tag)[1]));
    assert.equal(floorY.size, 1);
    const presentY = points.filter((p) => !absent.includes(p)).map((p) => translate(p.tag)[1]);
    assert.ok(presentY.every((y) => y < [...floorY][0]!));
    // Coloured by tier.
    for (const p of points) {
      const tier = field(p.label, 'Tier')!;
      assert.equal(fill(p.tag), TIER_COLORS[['frequent', 'common', 'rare'].indexOf(tier)]);
    }
    // A key that keeps its share (person/S: 40.2% of the full set, 40.5% of the subset) lies
    // on the diagonal of the square plot.
    const eq = keys.find((k) => Math.abs(k.subsetShare / k.fullShare - 1) < 0.02)!;
    const onLine = points.find((p) => field(p.label, 'Category') === eq.categoryName && field(p.label, 'Size') === eq.size)!;
    const [x, y] = translate(onLine.tag);
    assert.ok(Math.abs(x - (480 - y)) < 480 * 0.01 * 2, `(${x}, ${y}) is off y = x`);
    assert.deepEqual(texts(svg, 'axis-title'), ['Share of annotations in the full set (log)', 'Share of annotations in the subset (log)']);
    assert.deepEqual(texts(svg, 'legend-title'), ['Tier', 'Key']);
    assert.deepEqual(texts(svg, 'legend-label'), ['frequent', 'common', 'rare', 'in subset', 'absent from subset']);
    assert.ok(texts(svg, 'axis-label').includes('1%'));
    assert.equal(items(svg, 'line mark').length, 1, 'the y = x line');
    assert.ok(texts(svg, 'title-subtitle').some((t) => t.startsWith('2 keys are absent')));
    assert.ok(svg.includes('>y = x</text>'));
  });

  test('every key present: no crosses, and the subtitle says so', async () => {
    const keys = keyShares().filter((k) => k.subsetShare > 0);
    const { svg } = await renderSvg(classSizeFidelityChart(keys).spec);
    assert.equal(items(svg, 'point').length, keys.length);
    assert.ok(items(svg, 'point').every((p) => field(p.label, 'Key') === 'in subset'));
    assert.ok(texts(svg, 'title-subtitle').includes('Every key is present in the subset.'));
  });
});

describe('per-tier size shares', () => {
  test('full set and subset bars for S, M, L in each tier, labelled with their shares', async () => {
    const { svg, warnings } = await renderSvg(sizeSharesChart(sizeShares).spec);
    assert.deepEqual(warnings, []);
    const bars = items(svg, 'bar');
    assert.equal(bars.length, 18);
    const rareSmall = bars.filter((b) => field(b.label, 'Tier') === 'rare' && field(b.label, 'Size') === 'S (small)');
    assert.deepEqual(rareSmall.map((b) => [field(b.label, 'Set'), field(b.label, 'Share')]), [
      ['full set', '30.0%'],
      ['subset', '22.0%'],
    ]);
    assert.equal(fill(rareSmall[0]!.tag), FULL_VS_SUBSET.range[0]);
    assert.equal(fill(rareSmall[1]!.tag), FULL_VS_SUBSET.range[1]);
    assert.equal(field(rareSmall[1]!.label, 'Subset − full'), '−8.0 pts');
    assert.ok(Math.abs(barHeight(rareSmall[0]!.tag) / barHeight(rareSmall[1]!.tag) - 30 / 22) < 0.01);
    assert.deepEqual(texts(svg, 'legend-label'), ['full set', 'subset']);
    assert.ok(svg.includes('>frequent</text>') && svg.includes('>common</text>') && svg.includes('>rare</text>'));
    assert.deepEqual([...new Set(texts(svg, 'axis-title'))].sort(), ['Share of the tier’s annotations', 'Size bucket']);
    const labels = items(svg, 'text mark').map((t) => t.text);
    assert.equal(labels.length, 18);
    assert.ok(labels.includes('42%') && labels.includes('22%'));
  });
});

describe('objective over the iterations', () => {
  test('one line per term, a shaded refinement phase, a log axis over four decades', async () => {
    const points = trace(400, 50).map((p) => ({ ...p, values: { ...p.values, class_size: p.values.objective! * 0.8 } }));
    const { svg, warnings } = await renderSvg(objectiveChart(points).spec);
    assert.deepEqual(warnings, []);
    assert.equal(items(svg, 'line mark').length, 2);
    assert.deepEqual(texts(svg, 'legend-title'), ['Term']);
    assert.deepEqual(texts(svg, 'legend-label'), ['objective', 'class size']);
    assert.deepEqual(texts(svg, 'axis-title'), ['Iteration (images selected, then refinement moves)', 'Score (log), lower is better']);
    assert.ok(texts(svg, 'axis-label').includes('1e-4'));
    assert.ok(svg.includes('>refine phase</text>'));
    const band = items(svg, 'rect mark');
    assert.equal(band.length, 1, 'the shaded refinement band');
    assert.equal(band[0]!.label, 'from: 401; to: 450');
    assert.ok(texts(svg, 'title-subtitle')[0]!.startsWith('450 iterations; objective 0.0500 → '));
  });

  test('a long trace is thinned to at most the cap, keeping every phase boundary', () => {
    const long = trace(10_000, 2_000);
    const thin = thinTrace(long);
    assert.ok(thin.length <= MAX_TRACE_POINTS + 4, `${thin.length}`);
    for (const it of [1, 10_000, 10_001, 12_000]) assert.ok(thin.some((p) => p.iteration === it), `iteration ${it} kept`);
    assert.equal(thinTrace(trace(10, 0)).length, 10);
  });

  test('the chart says when it draws a thinned trace', async () => {
    const { svg } = await renderSvg(objectiveChart(trace(5_000, 0)).spec);
    assert.ok(texts(svg, 'title-subtitle').some((t) => /^Drawn from [\d,]+ evenly spaced iterations\.$/.test(t)));
    assert.equal(items(svg, 'rect mark').length, 0, 'no refinement, no band');
  });
});

describe('rare quota usage', () => {
  test('status of each class against its quota', () => {
    assert.deepEqual(quotas.map(quotaStatus), ['at quota', 'not sampled', 'at quota', 'over quota', 'under quota', 'at quota']);
    assert.equal(quotaStatus({ categoryId: 1, categoryName: 'x', quota: 0, used: 0, images: 3 }), 'not sampled');
    assert.equal(quotaStatus({ categoryId: 1, categoryName: 'x', quota: 0, used: 1, images: 3 }), 'over quota');
  });

  // Issue 24: a class under its quota that has no image left to give was drawn as "under quota".
  test('a class with every one of its images selected is not "under quota": it gave all it has', async () => {
    const exhausted = { categoryId: 16, categoryName: 'yak', quota: 3, used: 2, images: 2 };
    assert.equal(quotaStatus(exhausted), 'all its images');
    assert.equal(quotaStatus({ ...exhausted, images: 5 }), 'under quota');
    assert.equal(quotaStatus({ ...exhausted, used: 0, images: 0 }), 'not sampled');
    const { svg } = await renderSvg(rareQuotaUsageChart([...quotas, exhausted]).spec);
    const seg = items(svg, 'bar').map((b) => [field(b.label, 'Quota'), field(b.label, 'Status')]);
    assert.ok(seg.some(([q, s]) => q === 'quota 3' && s === 'all its images'), JSON.stringify(seg));
    assert.deepEqual(texts(svg, 'legend-label'), ['not sampled', 'under quota', 'all its images', 'at quota', 'over quota']);
  });

  // Issue 24: "quota 3" stood beside rare_cap: 2 with no word that quotas are rescaled.
  test('the chart says that quotas are rare_cap rescaled to the rare budget, and why one can exceed rare_cap', async () => {
    const uses = [...quotas, { categoryId: 16, categoryName: 'yak', quota: 3, used: 2, images: 4 }];
    const { svg } = await renderSvg(rareQuotaUsageChart(uses, { rareCap: 2, target: 229, cappedSum: 150 }).spec);
    const subtitle = texts(svg, 'title-subtitle').join(' ');
    assert.match(subtitle, /min\(rare_cap = 2, the class's images\)/);
    assert.match(subtitle, /rescaled to 229 images/);
    assert.match(subtitle, /1\.53×/);
    assert.match(subtitle, /above rare_cap/);
  });

  test('one stacked segment per quota and status, counted in the subtitle', async () => {
    const { svg, warnings } = await renderSvg(rareQuotaUsageChart(quotas).spec);
    assert.deepEqual(warnings, []);
    const bars = items(svg, 'bar');
    const seg = bars.map((b) => [field(b.label, 'Quota'), field(b.label, 'Status'), field(b.label, 'Rare classes')]);
    assert.deepEqual(seg.sort(), [
      ['quota 1', 'at quota', '1'],
      ['quota 1', 'over quota', '1'],
      ['quota 2', 'at quota', '2'],
      ['quota 2', 'not sampled', '1'],
      ['quota 2', 'under quota', '1'],
    ]);
    assert.deepEqual(texts(svg, 'legend-label'), ['not sampled', 'under quota', 'all its images', 'at quota', 'over quota']);
    assert.deepEqual(texts(svg, 'axis-title'), ['Image quota of the class', 'Rare classes']);
    assert.equal(
      texts(svg, 'title-subtitle')[0],
      '6 rare classes with a quota: 3 at quota, 1 under, 1 not sampled, 1 over (soft-cap violations).',
    );
    // Quota 2's stack is 4 classes tall, quota 1's is 2: heights add up per stack.
    const stack = (q: string) => bars.filter((b) => field(b.label, 'Quota') === q).reduce((s, b) => s + barHeight(b.tag), 0);
    assert.ok(Math.abs(stack('quota 2') / stack('quota 1') - 2) < 0.05);
  });
});

test('buildCharts makes a chart only for the data it has', () => {
  assert.deepEqual(buildCharts({ splits: [train] }).map((c) => c.id), ['tier-bars']);
  const all = buildCharts({ splits: [train, val], keyShares: keyShares(), sizeShares, objective: trace(20, 0), rareQuotas: quotas });
  assert.deepEqual(all.map((c) => c.id), ['tier-bars', 'class-size-fidelity', 'size-shares', 'objective', 'rare-quotas']);
  assert.equal(new Set(all.map((c) => c.fileBase)).size, all.length);
});
