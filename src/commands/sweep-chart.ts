/**
 * The sweep's chart: a metric against a param, one point per variant that finished; when
 * other params vary too, one coloured line per combination of their values. A Vega-Lite
 * spec, rendered to SVG and PNG by the project's headless renderer (src/render/chart.ts,
 * imported only when a chart is drawn: Vega takes a second or so to load).
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_STACK } from '../render/fonts.js';
import type { SweepReport } from '../runner/sweep/report.js';
import { formatParamValue } from '../runner/sweep/grid.js';

export interface SweepChartChoice {
  x: string;
  y: string;
  /** Params the colour stands for (none: one series). */
  color: string[];
}

/**
 * Which param goes on x (the requested one, else the first varying param whose values are
 * all numbers, else the first varying param), which metric on y (requested, else the sort
 * metric), and which params the colour shows (requested, else the other varying params).
 * Undefined when nothing varies or there is no metric.
 */
export function chooseSweepChart(r: SweepReport, want: { x?: string; y?: string; color?: string }): SweepChartChoice | undefined {
  const y = want.y ?? r.sortBy;
  if (y === undefined || r.varying.length === 0) return undefined;
  const numeric = (p: string) => r.variants.every((v) => typeof v.params[p] === 'number');
  const x = want.x ?? r.varying.find(numeric) ?? r.varying[0]!;
  const color = want.color !== undefined ? [want.color] : r.varying.filter((p) => p !== x);
  return { x, y, color };
}

export function sweepChartSpec(r: SweepReport, c: SweepChartChoice): TopLevelSpec {
  const finished = r.variants.filter((v) => v.status === 'ok' && typeof v.metrics[c.y] === 'number' && v.params[c.x] !== undefined);
  const points = finished.map((v) => ({
    x: v.params[c.x] as number | string,
    y: v.metrics[c.y] as number,
    series: c.color.length === 1 ? formatParamValue(v.params[c.color[0]!]) : c.color.map((p) => `${p}=${formatParamValue(v.params[p])}`).join(', ') || 'all',
    variant: v.name,
  }));
  const quantitative = points.length > 0 && points.every((p) => typeof p.x === 'number');
  if (!quantitative) for (const p of points) p.x = formatParamValue(p.x);
  // The legend in value order (numbers numerically), not in the table's metric order.
  const seriesValue = new Map(finished.map((v, i) => [points[i]!.series, c.color.length === 1 ? v.params[c.color[0]!] : points[i]!.series]));
  const series = [...seriesValue.keys()].sort((a, b) => {
    const x = seriesValue.get(a);
    const y = seriesValue.get(b);
    return typeof x === 'number' && typeof y === 'number' ? x - y : a.localeCompare(b);
  });
  const ys = points.map((p) => p.y);
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  // From zero when the values share a sign: a 3% spread then looks like 3%, not like a cliff.
  const fromZero = points.length > 0 && (lo >= 0 || hi <= 0);
  const notes = [`${points.length} of ${r.variants.length} variants of ${r.pipeline}${r.sortBy === c.y ? ` (${r.order === 'asc' ? 'lower' : 'higher'} is better)` : ''}`];
  if (points.length > 1 && hi !== lo) notes.push(`${c.y} from ${fmt(lo)} to ${fmt(hi)}: ${fmt((100 * (hi - lo)) / Math.max(Math.abs(hi), Math.abs(lo)))}% apart`);
  const same = coinciding(points);
  const named = (series: string) => (c.color.length === 1 ? `${c.color[0]}=${series}` : series);
  if (same.length) notes.push(`one line hides another: ${same.map((g) => g.map(named).join(' and ')).join('; ')} give the same values`);
  const xOrder = [...new Set(points.map((p) => p.x))].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${c.y} by ${c.x}`, subtitle: notes },
    width: 440,
    height: 280,
    data: { values: points },
    mark: quantitative ? { type: 'line', point: { filled: true, size: 60 } } : { type: 'point', filled: true, size: 80 },
    encoding: {
      x: quantitative
        ? { field: 'x', type: 'quantitative', title: c.x, scale: { zero: false, nice: false, padding: 16 }, ...(xOrder.length <= 12 ? { axis: { values: xOrder } } : {}) }
        : { field: 'x', type: 'ordinal', title: c.x, sort: xOrder, axis: { labelAngle: 0 } },
      y: { field: 'y', type: 'quantitative', title: c.y, scale: { zero: fromZero } },
      // Colour, dash and marker shape all tell the series apart: a line that hides another is
      // still seen by its markers, and the subtitle names the series that coincide.
      ...(series.length > 1
        ? {
            color: { field: 'series', type: 'nominal', title: c.color.join(', '), sort: series },
            // Same field, title and order: Vega-Lite merges the three into one legend.
            strokeDash: { field: 'series', type: 'nominal', title: c.color.join(', '), sort: series },
            shape: { field: 'series', type: 'nominal', title: c.color.join(', '), sort: series },
          }
        : {}),
      tooltip: [
        { field: 'variant', type: 'nominal' },
        { field: 'y', type: 'quantitative', title: c.y, format: '.4~g' },
      ],
    },
    config: {
      font: CHART_FONT_STACK,
      background: 'white',
      padding: 12,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: '#555555', anchor: 'start', offset: 10 },
      axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 11, titleFontSize: 12 },
      view: { stroke: '#d0d0d0' },
    },
  } as TopLevelSpec;
}

function fmt(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** Groups (two or more) of series whose points are the same: each x, the same y. */
function coinciding(points: readonly { x: number | string; y: number; series: string }[]): string[][] {
  const bySeries = new Map<string, string[]>();
  for (const p of points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), `${p.x}:${p.y}`]);
  const groups = new Map<string, string[]>();
  for (const [series, pts] of bySeries) {
    const sig = pts.sort().join('|');
    groups.set(sig, [...(groups.get(sig) ?? []), series]);
  }
  return bySeries.size > 1 ? [...groups.values()].filter((g) => g.length > 1) : [];
}

/** A file name part for a metric or param name. */
export function chartFileBase(c: SweepChartChoice): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `${safe(c.y)}-by-${safe(c.x)}`;
}

/** Renders the chart: SVG text and PNG bytes. */
export async function renderSweepChart(spec: TopLevelSpec): Promise<{ svg: string; png: Buffer }> {
  const { renderSvg, svgToPng } = await import('../render/chart.js');
  const { svg } = await renderSvg(spec);
  return { svg, png: svgToPng(svg, 2).png };
}
