/**
 * Headless chart rendering: a Vega-Lite spec becomes SVG (vega-lite compile, then a Vega View with
 * no renderer and `toSVG()`), and SVG becomes PNG with resvg (a Rust renderer shipped as a
 * prebuilt npm binary, so no node-canvas build). Text is laid out and drawn with the vendored
 * DejaVu Sans only, so output is identical on every machine.
 */
import { Resvg, renderAsync, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { chartFontFiles, CHART_FONT_FAMILY } from './fonts.js';
import { installChartTextMetrics } from './text-metrics.js';
import { xmlSafeValue } from './xml-text.js';

export interface RenderedSvg {
  svg: string;
  /** Size of the drawing in CSS pixels (the SVG's width and height attributes). */
  width: number;
  height: number;
  /** Warnings Vega-Lite or Vega logged while compiling or running the spec. */
  warnings: string[];
}

export interface RenderedPng {
  png: Buffer;
  width: number;
  height: number;
}

function collectingLogger(warnings: string[]) {
  let level = 2; // vega.Warn
  const logger = {
    level(l?: number): any {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error(...args: readonly unknown[]): any {
      throw new Error(args.map(String).join(' '));
    },
    warn(...args: readonly unknown[]): any {
      warnings.push(args.map(String).join(' '));
      return logger;
    },
    info(): any {
      return logger;
    },
    debug(): any {
      return logger;
    },
  };
  return logger;
}

/**
 * Compile and run a Vega-Lite spec headless; returns the SVG text at scale 1. Every string of the
 * spec (its data's included) is made safe for XML first (`xmlSafeValue`): text from data never
 * breaks the SVG or the PNG.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  installChartTextMetrics();
  // Vega numbers clip paths and gradients from process-wide counters; restart them so that
  // the same spec always gives the same bytes, whatever was rendered before.
  (vega as unknown as { resetSVGDefIds(): void }).resetSVGDefIds();
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = vl.compile(xmlSafeValue(spec), { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger } as vega.ViewOptions);
  try {
    const svg = await view.toSVG();
    const size = /^<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"/.exec(svg);
    if (!size) throw new Error('Vega produced an SVG without width/height');
    return { svg, width: Number(size[1]), height: Number(size[2]), warnings };
  } finally {
    view.finalize();
  }
}

/**
 * Rasterize an SVG at `scale` × its own size (2 gives crisp text on high-density screens); the
 * PNG is round(width × scale) by round(height × scale) pixels.
 */
export function svgToPng(svg: string, scale = 2): RenderedPng {
  const image = new Resvg(svg, pngOptions(scale)).render();
  return { png: image.asPng(), width: image.width, height: image.height };
}

/**
 * svgToPng, off the JavaScript thread: resvg renders in libuv's thread pool, so a caller can lay
 * out the next chart while this one is rasterized (the same bytes as svgToPng).
 */
export async function svgToPngAsync(svg: string, scale = 2): Promise<RenderedPng> {
  const image = await renderAsync(svg, pngOptions(scale));
  return { png: image.asPng(), width: image.width, height: image.height };
}

function pngOptions(scale: number): ResvgRenderOptions {
  if (!(scale > 0 && scale <= 8)) throw new RangeError(`PNG scale must be in (0, 8], got ${scale}`);
  const fonts = chartFontFiles();
  return {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: false,
      fontFiles: [fonts.regular, fonts.bold],
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
    background: 'white',
  };
}
