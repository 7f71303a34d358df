/**
 * Issue 27's benchmark: the default sampler against the original greedy and random, on two
 * full-scale generators, at 1,000, 2,000, 5,000, 10,000 and 20,000 images, every row of a data
 * set in the same run:
 *
 * - data sets: bench/data (`lvis-pipe synth`, the default `topics` model) and bench/data-scenes
 *   (`--cooccurrence scenes`, made on first use: bench/make-data.ts); `--third FILE` adds any
 *   LVIS train file (the check data made outside the project);
 * - rows: the new default; the original greedy (`mismatch: seed, cover: false`, pool 256: the
 *   original tool's sampler exactly); random; the previous default (`mismatch: chi2`,
 *   `density_band: free`, lambda_density 10);
 * - figures: JS (base 2), share MSE, categories covered, annotations per image (× the source's),
 *   KS, time;
 * - checks, PASS/FAIL: JS ≤ 0.95× the original greedy's (≤ 0.5× from 10,000 up), share MSE ≤ its,
 *   every category with an image covered, mean within ±10% and KS ≤ 0.1, the ±5% band held;
 *   the sample step's time at 10,000 on bench/data ≤ 2× the previous default's (median of 3
 *   runs each, interleaved, same process);
 * - the band's trade-off: density_band 0.01 … 0.5 and free at 2,000 and 10,000 images, for the
 *   default (`mismatch: js`) and for `mismatch: chi2` with the band as its only density control
 *   (lambda_density 0), drawn as JS against annotations per image
 *   (docs/img/sampler-density-band.{svg,png}).
 *
 *   npm run bench -- --only sampler-density
 *   node dist/bench/sampler-density.js [--sizes 1000,2000] [--third FILE] [--no-sweep] [--no-chart] [--out FILE.md]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { buildHistograms, type Histograms } from '../src/lvis/sampler/histograms.js';
import { estimateRareQuotas, type RareQuotas } from '../src/lvis/sampler/quotas.js';
import { runSampler, type SamplerOptions } from '../src/lvis/sampler/sampler.js';
import { DEFAULT_SIZE_RULE } from '../src/lvis/sampler/size-buckets.js';
import { computeTierStats } from '../src/lvis/sampler/tier-stats.js';
import { computeTargetTierMix, type TargetMix } from '../src/lvis/sampler/target-mix.js';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from '../src/lvis/plots/theme.js';
import { renderSvg, svgToPng } from '../src/render/chart.js';
import { defaultSamplerOptions } from '../src/steps/greedy-sample.js';
import { ensureFullScaleData, ensureSceneData } from './make-data.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SIZES = [1000, 2000, 5000, 10000, 20000];
export const SWEEP_SIZES = [2000, 10000];
export const BANDS: (number | 'free')[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 'free'];

export const DEFAULT = 'new default';
export const ORIGINAL = 'original greedy';
export const RANDOM = 'random';
export const PREVIOUS = 'previous default';
const CONFIGS: [string, Partial<SamplerOptions>][] = [
  [ORIGINAL, { mismatch: 'seed', cover: false, pool: 256 }],
  [RANDOM, { strategy: 'random' }],
  [DEFAULT, {}],
  [PREVIOUS, { mismatch: 'chi2', densityBand: 'free', lambdaDensity: 10, lambdaShare: 40 }],
];

interface Inputs {
  name: string;
  ds: Dataset;
  hist: Histograms;
  mix: TargetMix;
  quotas: RareQuotas;
}

export interface Row {
  set: string;
  images: number;
  label: string;
  /** The band and mismatch of a sweep row. */
  band?: number | 'free';
  mismatch?: string;
  seconds: number;
  metrics: Record<string, number>;
}

export interface Check {
  set: string;
  images: number;
  name: string;
  pass: boolean;
  detail: string;
}

async function prepare(name: string, file: string): Promise<Inputs> {
  const ds = (await loadDataset(file)).dataset;
  const stats = computeTierStats(ds);
  return {
    name, ds, hist: buildHistograms(ds, DEFAULT_SIZE_RULE),
    mix: computeTargetTierMix(stats.classes, stats.annotations, 0.6), quotas: estimateRareQuotas(ds, 2, 'budget'),
  };
}

function run(inp: Inputs, images: number, label: string, over: Partial<SamplerOptions>, band?: number | 'free'): Row {
  const t = performance.now();
  const opts = { ...defaultSamplerOptions(), totalImages: images, ...over };
  const r = runSampler(inp.ds, inp.hist, inp.mix, inp.quotas, opts);
  const sweepOf = band === undefined ? {} : { band, mismatch: opts.mismatch };
  return { set: inp.name, images, label, ...sweepOf, seconds: (performance.now() - t) / 1000, metrics: r.report.metrics };
}

const fmt = (m: Record<string, number>) =>
  `JS ${m.js_divergence!.toFixed(5)}, share MSE ${m.share_mse!.toExponential(2)}, ${m.categories_kept} categories, ` +
  `${m.ann_per_image!.toFixed(2)} per image (${m.ann_per_image_ratio!.toFixed(3)}×), KS ${m.ann_per_image_ks!.toFixed(3)}`;

function comparisons(inp: Inputs, sizes: number[], log: (l: string) => void): Row[] {
  const rows: Row[] = [];
  for (const images of sizes) {
    for (const [label, over] of CONFIGS) {
      const row = run(inp, images, label, over);
      rows.push(row);
      log(`${inp.name}, ${images} images, ${label}: ${row.seconds.toFixed(2)} s, ${fmt(row.metrics)}`);
    }
  }
  return rows;
}

function sweep(inp: Inputs, log: (l: string) => void): Row[] {
  const rows: Row[] = [];
  const mismatches: [string, Partial<SamplerOptions>][] = [['js', {}], ['chi2', { mismatch: 'chi2', lambdaDensity: 0 }]];
  for (const images of SWEEP_SIZES) {
    for (const [name, over] of mismatches) {
      for (const band of BANDS) {
        const row = run(inp, images, `${name}, density_band ${band}`, { ...over, densityBand: band }, band);
        rows.push(row);
        log(`${inp.name}, ${images} images, ${name}, density_band ${band}: ${fmt(row.metrics)}`);
      }
    }
  }
  return rows;
}

/** The checks for one set and size (see the header). */
function checksOf(rows: Row[], set: string, images: number): Check[] {
  const get = (label: string) => rows.find((r) => r.set === set && r.images === images && r.label === label)?.metrics;
  const m = get(DEFAULT);
  const o = get(ORIGINAL);
  if (!m || !o) return [];
  const limit = images >= 10000 ? 0.5 : 0.95;
  const ratio = m.js_divergence! / o.js_divergence!;
  const covered = m.covered_f! + m.covered_c! + m.covered_r!;
  const coverable = m.coverable_f! + m.coverable_c! + m.coverable_r!;
  const c = (name: string, pass: boolean, detail: string): Check => ({ set, images, name, pass, detail });
  return [
    c(`JS ≤ ${limit}× the original greedy's`, ratio <= limit, `${m.js_divergence!.toFixed(5)} vs ${o.js_divergence!.toFixed(5)} (${ratio.toFixed(2)}×)`),
    c("share MSE ≤ the original greedy's", m.share_mse! <= o.share_mse!, `${m.share_mse!.toExponential(2)} vs ${o.share_mse!.toExponential(2)} (${(m.share_mse! / o.share_mse!).toFixed(2)}×)`),
    c('every category with an image covered', covered === coverable, `${covered} of ${coverable} (original greedy ${o.categories_kept})`),
    c('mean annotations per image within ±10%, KS ≤ 0.1', Math.abs(m.ann_per_image_ratio! - 1) <= 0.1 && m.ann_per_image_ks! <= 0.1, `${m.ann_per_image_ratio!.toFixed(3)}×, KS ${m.ann_per_image_ks!.toFixed(3)}`),
    c('inside the ±5% band (mean and KS)', Math.abs(m.ann_per_image_ratio! - 1) <= 0.05 && m.ann_per_image_ks! <= 0.05, `${m.ann_per_image_ratio!.toFixed(3)}×, KS ${m.ann_per_image_ks!.toFixed(3)}`),
  ];
}

/** The sample step at 10,000 images, previous default against the new one, interleaved, median of 3 each. */
function timing(inp: Inputs, log: (l: string) => void): { previous: number; now: number; check: Check } {
  const times: Record<string, number[]> = { [PREVIOUS]: [], [DEFAULT]: [] };
  for (let rep = 0; rep < 3; rep++) {
    for (const [label, over] of CONFIGS.filter(([l]) => l === PREVIOUS || l === DEFAULT)) times[label]!.push(run(inp, 10000, label, over).seconds);
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[1]!;
  const previous = median(times[PREVIOUS]!);
  const now = median(times[DEFAULT]!);
  log(`timing at 10,000 images on ${inp.name}: previous default ${times[PREVIOUS]!.map((t) => t.toFixed(2)).join(', ')} s; new default ${times[DEFAULT]!.map((t) => t.toFixed(2)).join(', ')} s`);
  const check = { set: inp.name, images: 10000, name: 'sample step ≤ 2× the previous default’s time', pass: now <= 2 * previous, detail: `${now.toFixed(2)} s vs ${previous.toFixed(2)} s (${(now / previous).toFixed(2)}×, medians of 3)` };
  return { previous, now, check };
}

export function chartSpec(rows: Row[]): TopLevelSpec {
  const labelled = new Set([0.01, 'free']);
  const values = rows.map((r) => ({
    series: `${r.mismatch === 'js' ? 'js (default)' : 'chi2, lambda_density 0'} · ${r.set.split(' ')[0]}`,
    size: `${r.images.toLocaleString('en-US')} images`, ratio: r.metrics.ann_per_image_ratio!, js: r.metrics.js_divergence!,
    band: labelled.has(r.band!) ? (r.band === 'free' ? 'free' : `±${Math.round(100 * (r.band as number))}%`) : '',
    order: r.band === 'free' ? 99 : (r.band as number),
  }));
  const x = { field: 'ratio', type: 'quantitative', title: 'Annotations per image (× the full set’s)', scale: { type: 'log', nice: false, domain: [0.9, 6] }, axis: { values: [1, 1.5, 2, 3, 4, 5] } } as const;
  const y = { field: 'js', type: 'quantitative', title: 'JS divergence (bits)', scale: { type: 'log', nice: false } } as const;
  const color = {
    field: 'series', type: 'nominal', title: 'Mismatch · data', scale: { range: ['#1b9e8a', '#7fcdbb', '#d6404e', '#f2a03d'] }, legend: { labelLimit: 320 },
  } as const;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: 'Density band against fidelity',
      subtitle: [
        'Each line: density_band ±1%, 2%, 5%, 10%, 20%, 50% and free (the ends labelled); lower JS is better.',
        'js stays at the full set’s density whatever the band; chi2 wins on JS only with crowded images.',
      ],
    },
    config: CHART_CONFIG,
    data: { values },
    facet: { column: { field: 'size', type: 'nominal', title: null, sort: [...new Set(values.map((v) => v.size))] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320, height: 260,
      layer: [
        { mark: { type: 'line', point: true }, encoding: { x, y, color, order: { field: 'order', type: 'quantitative' } } },
        { mark: { type: 'text', dx: 5, dy: -6, align: 'left', fontSize: 9 }, encoding: { x, y, text: { field: 'band' }, color } },
      ],
    },
  } as unknown as TopLevelSpec; // (the `as const` encodings are readonly; vega-lite's types are not)
}

async function writeChart(rows: Row[], base: string): Promise<string[]> {
  const { svg, warnings } = await renderSvg(chartSpec(rows));
  for (const w of warnings) process.stderr.write(`band chart: ${w}\n`);
  await mkdir(path.dirname(base), { recursive: true });
  await writeFile(`${base}.svg`, svg);
  await writeFile(`${base}.png`, svgToPng(svg, 2).png);
  return [`${base}.svg`, `${base}.png`];
}

function table(rows: Row[]): string[] {
  const lines = [
    '| data | images | sampler | JS | JS ÷ original’s | share MSE | ÷ original’s | categories | ann/img (× source) | KS | time |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const m = r.metrics;
    const o = rows.find((x) => x.set === r.set && x.images === r.images && x.label === ORIGINAL)!.metrics;
    const bold = (s: string) => (r.label === DEFAULT ? `**${s}**` : s);
    lines.push(
      `| ${r.set} | ${r.images.toLocaleString('en-US')} | ${r.label} | ${bold(m.js_divergence!.toFixed(5))} | ${(m.js_divergence! / o.js_divergence!).toFixed(2)} | ` +
        `${bold(m.share_mse!.toExponential(2))} | ${(m.share_mse! / o.share_mse!).toFixed(2)} | ${m.categories_kept} | ` +
        `${m.ann_per_image!.toFixed(2)} (${m.ann_per_image_ratio!.toFixed(3)}) | ${m.ann_per_image_ks!.toFixed(3)} | ${r.seconds.toFixed(2)} s |`,
    );
  }
  return lines;
}

function sweepTable(rows: Row[]): string[] {
  const lines = ['| data | images | mismatch | density_band | JS | share MSE | ann/img (× source) | KS |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const m = r.metrics;
    lines.push(
      `| ${r.set} | ${r.images.toLocaleString('en-US')} | ${r.mismatch === 'js' ? 'js' : 'chi2, lambda_density 0'} | ${r.band} | ${m.js_divergence!.toFixed(5)} | ` +
        `${m.share_mse!.toExponential(2)} | ${m.ann_per_image_ratio!.toFixed(3)} | ${m.ann_per_image_ks!.toFixed(3)} |`,
    );
  }
  return lines;
}

export async function benchSamplerDensity(o: { sizes?: number[]; third?: string; sweep?: boolean; chart?: boolean; log?: (l: string) => void } = {}) {
  const log = o.log ?? ((l: string) => console.log(l));
  const sets: [string, string][] = [['topics (bench/data)', (await ensureFullScaleData()).train], ['scenes (bench/data-scenes)', await ensureSceneData()]];
  if (o.third) sets.push([`third (${path.basename(o.third)})`, o.third]);
  const rows: Row[] = [];
  const sweepRows: Row[] = [];
  const checks: Check[] = [];
  for (const [name, file] of sets) {
    const inp = await prepare(name, file);
    log(`${name}: ${inp.ds.images.count} images, ${inp.ds.annotations.count} annotations`);
    const mine = comparisons(inp, o.sizes ?? SIZES, log);
    rows.push(...mine);
    for (const images of o.sizes ?? SIZES) checks.push(...checksOf(mine, name, images));
    if (sets[0]![0] === name && (o.sizes ?? SIZES).includes(10000)) checks.push(timing(inp, log).check);
    if (o.sweep !== false && !name.startsWith('third')) sweepRows.push(...sweep(inp, log));
  }
  for (const c of checks) log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.set}, ${c.images} images: ${c.name}: ${c.detail}`);
  const files = o.chart !== false && sweepRows.length > 0 ? await writeChart(sweepRows, path.join(ROOT, 'docs/img/sampler-density-band')) : [];
  const markdown = [
    ...table(rows),
    '',
    'Checks (issue 27):',
    '',
    ...checks.map((c) => `- ${c.pass ? 'PASS' : '**FAIL**'} — ${c.set}, ${c.images.toLocaleString('en-US')} images: ${c.name}: ${c.detail}`),
    ...(sweepRows.length ? ['', 'The band’s trade-off (the default, density_band varied):', '', ...sweepTable(sweepRows)] : []),
    ...(files.length ? ['', `Chart: ${files.map((f) => path.relative(ROOT, f)).join(', ')}`] : []),
  ].join('\n');
  return { rows, sweepRows, checks, markdown };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, third: { type: 'string' }, 'no-sweep': { type: 'boolean' }, 'no-chart': { type: 'boolean' }, out: { type: 'string' } },
  });
  const r = await benchSamplerDensity({
    ...(values.sizes ? { sizes: values.sizes.split(',').map(Number) } : {}),
    ...(values.third ? { third: values.third } : {}),
    sweep: !values['no-sweep'],
    chart: !values['no-chart'],
  });
  console.log('\n' + r.markdown);
  if (values.out) await writeFile(values.out, r.markdown + '\n');
  process.exitCode = r.checks.every((c) => c.pass) ? 0 : 1;
}
