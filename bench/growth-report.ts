/**
 * The report half of bench/growth.ts: power-law fits (cost ≈ a·n^b by least squares on log–log),
 * the Markdown table, and the log–log chart (Vega-Lite, drawn with the project's renderer).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, svgToPng } from '../src/render/chart.js';
import { CHART_CONFIG, VEGA_LITE_SCHEMA, compactCount } from '../src/lvis/plots/theme.js';

/** One measured process: wall seconds and peak RSS (bytes). */
export interface ProcessCost {
  wallSeconds: number;
  peakRssBytes: number;
}

export interface StepCost {
  id: string;
  /** The step's time inside the cold whole-pipeline run (steps may overlap: --jobs 2). */
  coldSeconds: number;
  /** `run --only <id> --force <id>` on the warm cache: the step alone (its inputs decoded from the cache). */
  aloneSeconds: number;
  /** That process, as a whole. */
  aloneProcess: ProcessCost;
}

export interface ScaleResult {
  /** Train images. */
  images: number;
  trainBytes: number;
  totalImages: number;
  cold: ProcessCost;
  /** The run-finish event's duration (the pipeline, without node start-up). */
  coldRunSeconds: number;
  steps: StepCost[];
  /** Load average (1, 5, 15 min) when the scale started. */
  loadAverage: number[];
  finishedAt: string;
}

export interface Fit {
  /** The exponent b of cost ≈ a·n^b. */
  b: number;
  a: number;
  /** R² of the log–log fit. */
  r2: number;
}

export const EXPONENT_LIMIT = 1.15;
export const RSS_BUDGET_BYTES = 4 * 1024 ** 3;

/** Least squares of log y on log x. Needs two points or more with x, y > 0. */
export function powerFit(xs: number[], ys: number[]): Fit | undefined {
  const pts = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length < 2) return undefined;
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < lx.length; i++) {
    sxx += (lx[i]! - mx) ** 2;
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    syy += (ly[i]! - my) ** 2;
  }
  const b = sxy / sxx;
  return { b, a: Math.exp(my - b * mx), r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)}`;
const sec = (s: number) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));
/** The slope between the two largest scales: the growth once fixed costs no longer dominate. */
export function tailExponent(xs: number[], ys: number[]): number | undefined {
  const k = xs.length;
  if (k < 2 || !(ys[k - 1]! > 0) || !(ys[k - 2]! > 0)) return undefined;
  return Math.log(ys[k - 1]! / ys[k - 2]!) / Math.log(xs[k - 1]! / xs[k - 2]!);
}

const tail = (b: number | undefined) => (b === undefined ? '–' : `${b.toFixed(2)}${b > EXPONENT_LIMIT ? ' ⚠' : ''}`);
const exp = (f: Fit | undefined) => (f ? `${f.b.toFixed(2)}${f.b > EXPONENT_LIMIT ? ' ⚠' : ''}` : '–');

export interface GrowthRow {
  id: string;
  cold: number[];
  alone: number[];
  rss: number[];
  fitCold?: Fit;
  fitAlone?: Fit;
  fitRss?: Fit;
}

/** Per step (and the whole run first), the series over the scales and their fits. */
export function growthRows(results: ScaleResult[]): GrowthRow[] {
  const n = results.map((r) => r.images);
  const whole: GrowthRow = {
    id: 'whole run',
    cold: results.map((r) => r.cold.wallSeconds),
    alone: results.map((r) => r.coldRunSeconds),
    rss: results.map((r) => r.cold.peakRssBytes),
  };
  const ids = results[0]?.steps.map((s) => s.id) ?? [];
  const rows = [whole];
  for (const id of ids) {
    const get = (r: ScaleResult) => r.steps.find((s) => s.id === id);
    rows.push({
      id,
      cold: results.map((r) => get(r)?.coldSeconds ?? NaN),
      alone: results.map((r) => get(r)?.aloneSeconds ?? NaN),
      rss: results.map((r) => get(r)?.aloneProcess.peakRssBytes ?? NaN),
    });
  }
  for (const row of rows) {
    row.fitCold = powerFit(n, row.cold);
    row.fitAlone = powerFit(n, row.alone);
    row.fitRss = powerFit(n, row.rss);
  }
  return rows;
}

export function growthMarkdown(results: ScaleResult[]): string {
  const rows = growthRows(results);
  const head = results.map((r) => compactCount(r.images));
  const n = results.map((r) => r.images);
  const last2 = results.length >= 2 ? `${head[head.length - 2]}→${head[head.length - 1]}` : 'tail';
  const lines: string[] = [];
  lines.push(
    `Train images: ${results.map((r) => `${r.images.toLocaleString('en-US')} (${(r.trainBytes / 1e9).toFixed(2)} GB)`).join(', ')}; ` +
      `total_images=${results[0]?.totalImages ?? '?'} at every scale.`,
    '',
    '**Time, s** — cold run: the step inside the cold whole-pipeline run (`--jobs 2`, so independent steps overlap); ' +
      'alone: `run --only STEP --force STEP` on the warm cache. For "whole run", cold is the process wall time and alone the run-finish duration.',
    '',
    `| step | ${head.map((h) => `cold ${h}`).join(' | ')} | ${head.map((h) => `alone ${h}`).join(' | ')} | b (cold) | b (alone) | b alone ${last2} |`,
    `|---|${head.map(() => '--:|').join('')}${head.map(() => '--:|').join('')}--:|--:|--:|`,
  );
  for (const r of rows) {
    lines.push(`| ${r.id} | ${r.cold.map(sec).join(' | ')} | ${r.alone.map(sec).join(' | ')} | ${exp(r.fitCold)} | ${exp(r.fitAlone)} | ${tail(tailExponent(n, r.alone))} |`);
  }
  lines.push(
    '',
    '**Peak RSS, MB** — whole run: the cold process; a step: the `run --only STEP --force STEP` process (the step plus decoding its inputs, plus node and the runner).',
    '',
    `| step | ${head.join(' | ')} | b (RSS) | b ${last2} |`,
    `|---|${head.map(() => '--:|').join('')}--:|--:|`,
  );
  for (const r of rows) lines.push(`| ${r.id} | ${r.rss.map(mb).join(' | ')} | ${exp(r.fitRss)} | ${tail(tailExponent(n, r.rss))} |`);
  const over = rows
    .filter((r) => [r.fitCold?.b, r.fitAlone?.b, r.fitRss?.b, tailExponent(n, r.alone), tailExponent(n, r.rss)].some((b) => b !== undefined && b > EXPONENT_LIMIT))
    .map((r) => r.id);
  const last = results[results.length - 1];
  lines.push(
    '',
    `Exponent b of cost ≈ a·n^b, least squares on log–log over the ${results.length} scales, and the slope between the two largest (${last2}), where fixed costs (node, the runner, the fixed val side) weigh least; ⚠ marks b > ${EXPONENT_LIMIT}. ` +
      (over.length ? `Over the limit: ${over.join(', ')}.` : 'No step is over the limit.'),
  );
  if (last) {
    const peak = last.cold.peakRssBytes;
    lines.push(
      '',
      `Whole-pipeline peak RSS at ${compactCount(last.images)} images: ${(peak / 2 ** 30).toFixed(2)} GiB ` +
        `(budget ${RSS_BUDGET_BYTES / 2 ** 30} GiB: ${peak <= RSS_BUDGET_BYTES ? 'within' : 'OVER'}).`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The log–log chart: time and peak RSS against train images, one line per step. */
export function growthSpec(results: ScaleResult[]): TopLevelSpec {
  const rows = growthRows(results);
  const values: { images: number; step: string; metric: string; value: number }[] = [];
  for (const r of rows) {
    results.forEach((res, i) => {
      const t = r.id === 'whole run' ? r.cold[i]! : r.alone[i]!;
      if (t > 0) values.push({ images: res.images, step: r.id, metric: 'time, s', value: t });
      if (r.rss[i]! > 0) values.push({ images: res.images, step: r.id, metric: 'peak RSS, MB', value: r.rss[i]! / 2 ** 20 });
    });
  }
  const fitOf = (r: GrowthRow, metric: string) => (metric === 'time, s' ? (r.id === 'whole run' ? r.fitCold : r.fitAlone) : r.fitRss);
  const label = (r: GrowthRow) => `${r.id} (b = ${fitOf(r, 'time, s')?.b.toFixed(2) ?? '–'} / ${fitOf(r, 'peak RSS, MB')?.b.toFixed(2) ?? '–'})`;
  const labels = new Map(rows.map((r) => [r.id, label(r)]));
  const data = values.map((v) => ({ ...v, step: labels.get(v.step)! }));
  const domain = rows.map(label);
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'How lvis-pipe’s default pipeline grows with the train set',
      subtitle: 'log–log; whole run = cold process, a step = run --only STEP --force STEP on the warm cache; legend: b (time) / b (RSS)',
    },
    data: { values: data },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['time, s', 'peak RSS, MB'] } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 330,
      height: 300,
      mark: { type: 'line', point: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: 'images', type: 'quantitative', scale: { type: 'log' }, title: 'train images', axis: { values: results.map((r) => r.images), labelExpr: "datum.value >= 1e6 ? format(datum.value / 1e6, '~r') + 'M' : format(round(datum.value / 1e3), 'd') + 'k'" } },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: null },
        color: { field: 'step', type: 'nominal', scale: { domain, scheme: 'tableau20' }, title: 'step (b time / b RSS)', legend: { labelLimit: 400 } },
        strokeWidth: { condition: { test: "indexof(datum.step, 'whole run') === 0", value: 3.5 }, value: 1.5 },
      },
    },
  } as TopLevelSpec;
}

/** Writes <base>.svg and <base>.png; returns their paths. */
export async function writeGrowthChart(results: ScaleResult[], base: string): Promise<string[]> {
  const { svg, warnings } = await renderSvg(growthSpec(results));
  for (const w of warnings) process.stderr.write(`growth chart: ${w}\n`);
  await mkdir(path.dirname(base), { recursive: true });
  await writeFile(`${base}.svg`, svg);
  await writeFile(`${base}.png`, svgToPng(svg, 2).png);
  return [`${base}.svg`, `${base}.png`];
}
