/**
 * The chart fonts' metrics as a table (src/render/fonts/dejavu-metrics.json, written by
 * `npm run fonts` from the font files; test/text-metrics.test.ts checks it against them):
 * the advance of every character of TABLE_RANGES (Latin, Greek, punctuation, arrows) and every
 * non-zero kerning pair among them, in font units. Reading it costs about a millisecond, against
 * 0.2–0.3 s to parse the two fonts with opentype.js, and it imports neither opentype.js nor Vega.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chartFontFiles } from './fonts.js';

/**
 * The characters the table covers (inclusive ranges): ASCII, Latin-1 and Latin Extended-A/B,
 * Greek (λ, χ, Δ in chart text), general punctuation (’ – — … •), arrows, − ≤ ≥.
 */
export const TABLE_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7e],
  [0xa0, 0x24f],
  [0x370, 0x3ff],
  [0x2010, 0x2027],
  [0x2030, 0x203a],
  [0x2190, 0x2195],
  [0x2212, 0x2212],
  [0x2248, 0x2248],
  [0x2260, 0x2265],
];

/** One font's table, in font units: advance per character, kerning per pair of characters. */
export interface FontTable {
  unitsPerEm: number;
  advances: Record<string, number>;
  kerning: Record<string, number>;
}

export interface FontMetricsTable {
  regular: FontTable;
  bold: FontTable;
}

let table: FontMetricsTable | undefined;

export function fontMetricsTableFile(): string {
  return join(dirname(chartFontFiles().regular), 'dejavu-metrics.json');
}

export function metricsTable(): FontMetricsTable {
  table ??= JSON.parse(readFileSync(fontMetricsTableFile(), 'utf8')) as FontMetricsTable;
  return table;
}

/** Font units of `text` from the table; undefined when a character is not in it. */
export function tableUnits(t: FontTable, text: string, other?: number): number | undefined {
  let units = 0;
  let previous = '';
  for (const char of text) {
    const advance = t.advances[char] ?? other;
    if (advance === undefined) return undefined;
    units += advance + (t.kerning[previous + char] ?? 0);
    previous = char;
  }
  return units;
}

/** The font's average Latin advance (in 1/1000 em), for characters outside the table. */
const OTHER_PER_MILLE = 620;

/**
 * Width in pixels of `text` from the table alone: a character outside it counts as an average
 * Latin letter. For layouts that need text widths but must never parse the fonts (the run
 * report is written after every run, cache hits included).
 */
export function approxTextWidth(text: string, fontSize: number, bold = false): number {
  const t = bold ? metricsTable().bold : metricsTable().regular;
  return (tableUnits(t, text, (OTHER_PER_MILLE * t.unitsPerEm) / 1000)! * fontSize) / t.unitsPerEm;
}
