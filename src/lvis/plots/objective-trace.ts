/**
 * The greedy objective over the iterations: the total score of the selected set after each
 * added image (and after each accepted refinement move), with its named terms as thinner
 * lines. The refinement phase, when there is one, is shaded. The y axis turns logarithmic when
 * the values span more than two decades, which they do as the class×size mismatch falls.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';
import type { Chart, ObjectivePoint } from './types.js';

export const OBJECTIVE_FILE = 'lvis_greedy_objective';

/** Enough points for a smooth line at any chart width, few enough to keep the report small. */
export const MAX_TRACE_POINTS = 1200;

const SERIES_COLORS = ['#222222', '#4c78a8', '#f2a03d', '#d6404e', '#1b9e8a', '#9467bd'];

/** Every k-th point, plus the first and last point of every phase. */
export function thinTrace(points: ObjectivePoint[], maxPoints = MAX_TRACE_POINTS): ObjectivePoint[] {
  if (points.length <= maxPoints) return points;
  const stride = Math.ceil(points.length / maxPoints);
  return points.filter(
    (p, i) =>
      i % stride === 0 ||
      i === points.length - 1 ||
      points[i - 1]?.phase !== p.phase ||
      points[i + 1]?.phase !== p.phase,
  );
}

function seriesLabel(name: string): string {
  return name.replace(/_/g, ' ');
}

export function objectiveChart(trace: ObjectivePoint[], primary = 'objective'): Chart {
  const shown = thinTrace(trace);
  const names: string[] = [];
  for (const p of trace) for (const k of Object.keys(p.values)) if (!names.includes(k)) names.push(k);
  // The total first, so it takes the first (darkest) colour and leads the legend.
  names.sort((a, b) => (a === primary ? -1 : b === primary ? 1 : 0));
  const labels = names.map(seriesLabel);
  const rows = shown.flatMap((p) =>
    names
      .filter((n) => Number.isFinite(p.values[n]))
      .map((n) => ({ iteration: p.iteration, phase: p.phase, series: seriesLabel(n), value: p.values[n]!, width: n === primary ? 2.5 : 1.3 })),
  );
  // Log scale when the total stays positive and the positive values span over two decades;
  // a term's zero values (no penalty at that step) then have no place and are left out.
  const positives = rows.filter((r) => r.value > 0).map((r) => r.value);
  const mainPositive = rows.every((r) => r.series !== seriesLabel(primary) || r.value > 0);
  const logY = mainPositive && positives.length > 0 && Math.max(...positives) / Math.min(...positives) > 100;
  if (logY) rows.splice(0, rows.length, ...rows.filter((r) => r.value > 0));
  const values = rows.map((r) => r.value);
  const decades: number[] = [];
  if (logY) {
    const lo = Math.floor(Math.log10(Math.min(...values)));
    const hi = Math.ceil(Math.log10(Math.max(...values)));
    for (let e = lo; e <= hi; e++) decades.push(10 ** e);
  }
  const phases: { phase: string; from: number; to: number }[] = [];
  for (const p of trace) {
    const last = phases[phases.length - 1];
    if (last && last.phase === p.phase) last.to = p.iteration;
    else phases.push({ phase: p.phase, from: p.iteration, to: p.iteration });
  }
  const shaded = phases.slice(1); // the first phase (greedy) is the plain background
  const first = trace[0]?.values[primary];
  const final = trace[trace.length - 1]?.values[primary];
  const title = 'Sampler objective over the iterations';
  const subtitle = [
    `${trace.length.toLocaleString('en-US')} iterations` +
      (first !== undefined && final !== undefined ? `; ${seriesLabel(primary)} ${first.toPrecision(3)} → ${final.toPrecision(3)} (lower is better)` : '') +
      '.',
  ];
  if (shown.length < trace.length) subtitle.push(`Drawn from ${shown.length.toLocaleString('en-US')} evenly spaced iterations.`);
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle },
    config: CHART_CONFIG,
    width: 620,
    height: 300,
    layer: [
      ...(shaded.length
        ? [
            {
              data: { values: shaded.map((s) => ({ ...s, label: `${s.phase} phase` })) },
              layer: [
                {
                  mark: { type: 'rect' as const, color: '#f0e6c8', opacity: 0.6 },
                  encoding: { x: { field: 'from', type: 'quantitative' as const }, x2: { field: 'to' } },
                },
                {
                  mark: { type: 'text' as const, align: 'left' as const, baseline: 'top' as const, dx: 4, y: 4, fontSize: 11, color: '#7a6a3a' },
                  encoding: { x: { field: 'from', type: 'quantitative' as const }, text: { field: 'label' } },
                },
              ],
            },
          ]
        : []),
      {
        data: { values: rows },
        mark: { type: 'line', interpolate: 'linear', clip: true },
        encoding: {
          x: {
            field: 'iteration',
            type: 'quantitative',
            title: 'Iteration (images selected, then refinement moves)',
            axis: { format: ',d' },
            scale: { nice: false, zero: false },
          },
          y: {
            field: 'value',
            type: 'quantitative',
            title: `Score${logY ? ' (log)' : ''}, lower is better`,
            scale: logY ? { type: 'log', domain: [decades[0]!, decades[decades.length - 1]!], nice: false } : { zero: false },
            // Decades only: a log axis's default minor ticks crowd the grid.
            axis: logY ? { format: '.0e', values: decades } : { format: '.2~e' },
          },
          color: {
            field: 'series',
            type: 'nominal',
            title: 'Term',
            sort: labels,
            scale: { domain: labels, range: SERIES_COLORS.slice(0, labels.length) },
          },
          strokeWidth: { field: 'width', type: 'quantitative', scale: null, legend: null },
          tooltip: [
            { field: 'series', title: 'Term' },
            { field: 'iteration', title: 'Iteration', format: ',' },
            { field: 'phase', title: 'Phase' },
            { field: 'value', title: 'Value', format: '.4~e' },
          ],
        },
      },
    ],
  };
  return { id: 'objective', fileBase: OBJECTIVE_FILE, title, spec };
}
