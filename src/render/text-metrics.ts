/**
 * Exact text widths for headless Vega. Without a canvas, Vega guesses every string's width as
 * 0.8 em per character; DejaVu Sans averages about 0.55 em, so the guess pushes axis titles away
 * from their axes, widens legends and drops axis labels as "overlapping". Vega lets a host
 * replace `textMetrics.width` (vl-convert does the same); we measure with the glyph advances and
 * kerning of the very font files resvg renders with.
 *
 * Measured by hand (not via opentype.js's `getAdvanceWidth`): opentype.js 2.0 throws on DejaVu's
 * GSUB `ccmp` lookup (substFormat 2), and Latin chart text needs no shaping beyond the GPOS pair
 * kerning that resvg applies too (measured: "AVAVAVAV" at 40 px inks 200 px in resvg; advances
 * alone give 219 px, advances plus GPOS kerning 201 px).
 */
import { readFileSync } from 'node:fs';
import opentype, { type Font, type Glyph } from 'opentype.js';
import * as vega from 'vega';
import { chartFontFiles } from './fonts.js';

interface TextItem {
  fontSize?: number | string;
  fontWeight?: string | number;
}

type WidthFn = (item: TextItem, text: unknown) => number;

interface LoadedFont {
  font: Font;
  /** GPOS pair-kerning lookups for Latin script (DejaVu has no legacy `kern` table). */
  kerning: unknown[] | undefined;
}

let fonts: { regular: LoadedFont; bold: LoadedFont } | undefined;
const widthCache = new Map<string, number>();
const WIDTH_CACHE_LIMIT = 20_000;

function loadFont(path: string): LoadedFont {
  const bytes = readFileSync(path);
  const font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return { font, kerning: font.position.getKerningTables('latn') ?? undefined };
}

function isBold(weight: string | number | undefined): boolean {
  if (weight === undefined) return false;
  if (typeof weight === 'number') return weight >= 600;
  return weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
}

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px. */
export function measureTextWidth(text: string, fontSize: number, bold = false): number {
  if (!fonts) {
    const files = chartFontFiles();
    fonts = { regular: loadFont(files.regular), bold: loadFont(files.bold) };
  }
  const key = `${bold ? 'b' : 'r'}|${fontSize}|${text}`;
  const hit = widthCache.get(key);
  if (hit !== undefined) return hit;
  const { font, kerning } = bold ? fonts.bold : fonts.regular;
  let units = 0;
  let previous: Glyph | undefined;
  for (const char of text) {
    const glyph = font.charToGlyph(char);
    units += glyph.advanceWidth ?? 0;
    if (previous) {
      units += kerning ? font.position.getKerningValue(kerning, previous.index, glyph.index) : font.getKerningValue(previous, glyph);
    }
    previous = glyph;
  }
  const width = (units * fontSize) / font.unitsPerEm;
  if (widthCache.size >= WIDTH_CACHE_LIMIT) widthCache.clear();
  widthCache.set(key, width);
  return width;
}

let installed = false;

/** Make every headless Vega view in this process measure text with the chart fonts. Idempotent. */
export function installChartTextMetrics(): void {
  if (installed) return;
  const metrics = (vega as unknown as { textMetrics: { width: WidthFn } }).textMetrics;
  metrics.width = (item, text) => {
    // Vega's own measure trims; truncation (`limit`) is applied by Vega around this function.
    const s = text == null ? '' : String(text).trim();
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    return size <= 0 || s === '' ? 0 : measureTextWidth(s, size, isBold(item.fontWeight));
  };
  installed = true;
}
