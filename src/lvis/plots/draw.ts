/**
 * Charts drawn headless: each Vega-Lite spec as SVG text and as PNG bytes (src/render/).
 * Vega, Vega-Lite, resvg and the font metrics take ~0.2–0.7 s to import, and every CLI call
 * loads every step module, so they load on the first chart drawn, not when this module loads.
 */
import type { Chart } from './types.js';

export interface DrawnChart {
  chart: Chart;
  svg: string;
  png: Uint8Array;
  width: number;
  height: number;
  pngWidth: number;
  pngHeight: number;
  /** What Vega warned about while laying the chart out. */
  warnings: string[];
}

/**
 * Draws `charts` in order; `scale` is PNG pixels per SVG pixel. Layout (Vega) runs on this
 * thread, one chart after the other; each PNG is rasterized in the thread pool as soon as its
 * SVG is ready, beside the next chart's layout. `onDrawn` gets each chart when its PNG is done,
 * in the order given.
 */
export async function drawCharts(charts: readonly Chart[], scale: number, onDrawn: (drawn: DrawnChart) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const { renderSvg, svgToPngAsync } = await import('../../render/chart.js');
  const pending: Promise<DrawnChart>[] = [];
  for (const chart of charts) {
    signal?.throwIfAborted();
    const { svg, width, height, warnings } = await renderSvg(chart.spec);
    const drawn = svgToPngAsync(svg, scale).then((p) => ({ chart, svg, png: p.png, width, height, pngWidth: p.width, pngHeight: p.height, warnings }));
    drawn.catch(() => {}); // awaited below, in order; a failure must not go unhandled meanwhile
    pending.push(drawn);
  }
  for (const p of pending) await onDrawn(await p);
}

/**
 * Loads the renderer and lays out and rasterizes a tiny chart with the marks the real charts
 * use, so that the first real chart does not pay for the imports (~0.2 s) and the JIT's
 * first pass through Vega (~0.15 s). For a worker started ahead of its step.
 */
export async function warmUpCharts(): Promise<void> {
  const { renderSvg, svgToPngAsync } = await import('../../render/chart.js');
  const values = [
    { x: 1, y: 2, c: 'a' },
    { x: 2, y: 1, c: 'b' },
  ];
  const encoding = { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'c', type: 'nominal' } } as const;
  const { svg } = await renderSvg({
    data: { values },
    hconcat: [
      { mark: 'bar', encoding: { ...encoding, x: { field: 'c', type: 'nominal' } } },
      { mark: 'point', encoding },
      { mark: 'line', encoding },
    ],
  });
  await svgToPngAsync(svg, 1);
}
