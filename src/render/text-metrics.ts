/**
 * Exact text widths for headless Vega. Without a canvas, Vega guesses every string's width as
 * 0.8 em per character; DejaVu Sans averages about 0.55 em, so the guess pushes axis titles away
 * from their axes, widens legends and drops axis labels as "overlapping". Vega lets a host
 * replace `textMetrics.width` (vl-convert does the same); we measure with the glyph advances and
 * kerning of the very font files resvg renders with.
 *
 * Two sources, same numbers:
 *   - the table of font-table.ts (Latin, Greek, punctuation and arrows, and the kerning among
 *     them), read in about a millisecond;
 *   - the font files themselves, parsed with opentype.js, for text with any other character.
 * Parsing both fonts costs 0.2–0.3 s of a chart worker's start (with the garbage it leaves),
 * which was on the critical path of a warm rerun; chart text is almost always in the table.
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
import { metricsTable, tableUnits, TABLE_RANGES, type FontMetricsTable, type FontTable } from './font-table.js';

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

function parsedFont(bold: boolean): LoadedFont {
  if (!fonts) {
    const files = chartFontFiles();
    fonts = { regular: loadFont(files.regular), bold: loadFont(files.bold) };
  }
  return bold ? fonts.bold : fonts.regular;
}

function isBold(weight: string | number | undefined): boolean {
  if (weight === undefined) return false;
  if (typeof weight === 'number') return weight >= 600;
  return weight === 'bold' || weight === 'bolder' || Number(weight) >= 600;
}

/** Font units of `text` from the parsed font file (any character the font has). */
function fontUnits(text: string, bold: boolean): { units: number; unitsPerEm: number } {
  const { font, kerning } = parsedFont(bold);
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
  return { units, unitsPerEm: font.unitsPerEm };
}

/** Whether this process has parsed the font files (a chart with text outside the table). */
export function fontFilesParsed(): boolean {
  return fonts !== undefined;
}

/** Width in pixels of `text` measured on the parsed font files alone (what the table must match). */
export function fontTextWidth(text: string, fontSize: number, bold = false): number {
  const { units, unitsPerEm } = fontUnits(text, bold);
  return (units * fontSize) / unitsPerEm;
}

/** Width in pixels of `text` set in DejaVu Sans at `fontSize` px. */
export function measureTextWidth(text: string, fontSize: number, bold = false): number {
  const key = `${bold ? 'b' : 'r'}|${fontSize}|${text}`;
  const hit = widthCache.get(key);
  if (hit !== undefined) return hit;
  const t = bold ? metricsTable().bold : metricsTable().regular;
  const fromTable = tableUnits(t, text);
  const { units, unitsPerEm } = fromTable !== undefined ? { units: fromTable, unitsPerEm: t.unitsPerEm } : fontUnits(text, bold);
  const width = (units * fontSize) / unitsPerEm;
  if (widthCache.size >= WIDTH_CACHE_LIMIT) widthCache.clear();
  widthCache.set(key, width);
  return width;
}

/** The table as the font files give it (`npm run fonts` writes it; the test compares). */
export function buildFontMetricsTable(): FontMetricsTable {
  const build = (bold: boolean): FontTable => {
    const { font, kerning } = parsedFont(bold);
    const glyphs: [string, Glyph][] = [];
    for (const [first, last] of TABLE_RANGES) {
      for (let c = first; c <= last; c++) {
        const char = String.fromCharCode(c);
        const glyph = font.charToGlyph(char);
        if (glyph.index !== 0) glyphs.push([char, glyph]);
      }
    }
    const advances: Record<string, number> = {};
    const pairs: Record<string, number> = {};
    for (const [char, glyph] of glyphs) advances[char] = glyph.advanceWidth ?? 0;
    for (const [a, ga] of glyphs) {
      for (const [b, gb] of glyphs) {
        const k = kerning ? font.position.getKerningValue(kerning, ga.index, gb.index) : font.getKerningValue(ga, gb);
        if (k) pairs[a + b] = k;
      }
    }
    return { unitsPerEm: font.unitsPerEm, advances, kerning: pairs };
  };
  return { regular: build(false), bold: build(true) };
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
