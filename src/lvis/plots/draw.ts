/**
 * One chart drawn headless: its Vega-Lite spec as SVG text and as PNG bytes (src/render/).
 * Vega, Vega-Lite, resvg and the font metrics take ~0.7 s to import, and every CLI call loads
 * every step module, so they load on the first chart drawn, not when this module loads.
 */
import type { Chart } from './types.js';

export interface DrawnChart {
  svg: string;
  png: Uint8Array;
  width: number;
  height: number;
  pngWidth: number;
  pngHeight: number;
  /** What Vega warned about while laying the chart out. */
  warnings: string[];
}

/** Draws `chart`; `scale` is PNG pixels per SVG pixel. */
export async function drawChart(chart: Chart, scale: number): Promise<DrawnChart> {
  const { renderSvg, svgToPng } = await import('../../render/chart.js');
  const { svg, width, height, warnings } = await renderSvg(chart.spec);
  const png = svgToPng(svg, scale);
  return { svg, png: png.png, width, height, pngWidth: png.width, pngHeight: png.height, warnings };
}
