/** Small text helpers shared by reporters, commands and steps' logs. */
import { escapeControls } from './diagnostic.js';

/**
 * A size in decimal units (1 MB = 1,000,000 bytes, as `ls --si` and file managers show it): the
 * one way every message of the tool writes a size, so a file is the same size everywhere.
 */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 999.95 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return '0 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const MIN_CELL = 12;

/**
 * How wide a table printed on `stream` may be: the terminal's width when it is one (its own
 * size, else `COLUMNS` when it reports none, as `ls` does, else 80), else no limit (a pipe or a
 * file gets every cell whole, as `ls` and `git` do).
 */
export function streamWidth(stream: unknown, env: Record<string, string | undefined> = process.env): number {
  const s = stream as { isTTY?: boolean; columns?: number };
  if (!s.isTTY) return Infinity;
  if (s.columns !== undefined && s.columns > 0) return s.columns;
  const fromEnv = /^\s*\d+\s*$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0;
  return fromEnv > 0 ? fromEnv : 80;
}

/**
 * A left-aligned text table (no borders), columns separated by two spaces, at most `maxWidth`
 * wide (`streamWidth` of where it goes). Cells are shown with their control characters escaped
 * (`\x1b`): a param value or a file name can hold them. The last column is free text and may
 * run on (a terminal wraps it). When the others do not fit, long cells are shortened in the
 * middle with "…", so that both ends stay (`ann_p…e_ks`, `2026-…14:03`; never below 12
 * characters), but never so far that two different cells of a column look the same; when they
 * still do not fit, or only cut to fewer than 24 characters where panels would cut less, the
 * columns are split into panels, one under the other, each led by the first column, and a
 * panel shortens only the cells it has no room for.
 */
export function table(header: string[], rows: string[][], maxWidth: number): string {
  const t: Cells = { header: header.map(escapeControls), rows: rows.map((r) => header.map((_, i) => escapeControls(r[i] ?? ''))) };
  const all = header.map((_, i) => i);
  const one = panel(t, all, maxWidth, true);
  if (one.fits && one.shortest >= READABLE_CUT) return one.text;
  const groups = panelGroups(widthsOf(t, all), maxWidth);
  if (groups.length === 1) return one.text;
  const panels = groups.map((g) => panel(t, g, maxWidth, g.at(-1) === all.length - 1));
  // On a wide terminal every column may fit cut to a dozen characters: panels that cut less win.
  if (one.fits && Math.min(...panels.map((p) => p.shortest)) <= one.shortest) return one.text;
  return panels.map((p) => p.text).join('\n\n');
}

/** A one-panel table that cuts no cell below this many characters is kept as one panel. */
const READABLE_CUT = 24;

/**
 * The columns in panels, each led by column 0 and packed in order with the columns that fit
 * whole (a column too wide for any panel gets one of its own, and is cut to its room there).
 */
function panelGroups(natural: readonly number[], maxWidth: number): number[][] {
  const groups: number[][] = [];
  let group = [0];
  let used = natural[0]!;
  for (let i = 1; i < natural.length; i++) {
    const need = i === natural.length - 1 ? Math.min(natural[i]!, MIN_CELL) : natural[i]!;
    if (group.length > 1 && used + 2 + need > maxWidth) {
      groups.push(group);
      group = [0];
      used = natural[0]!;
    }
    group.push(i);
    used += 2 + need;
  }
  groups.push(group);
  return groups;
}

interface Cells {
  header: string[];
  rows: string[][];
}

function widthsOf(t: Cells, cols: readonly number[]): number[] {
  return cols.map((i) => Math.max(t.header[i]!.length, ...t.rows.map((r) => r[i]!.length)));
}

/**
 * The columns `cols` of `t` as one table within `maxWidth`, their widest cells shortened first
 * (not below MIN_CELL) when they must be; `freeText`: the last column is the table's free text,
 * which needs only MIN_CELL of room and may run on. `fits` says whether it came within the width,
 * `shortest` the width of its most cut column (Infinity: nothing cut).
 */
function panel(t: Cells, cols: readonly number[], maxWidth: number, freeText: boolean): { text: string; fits: boolean; shortest: number } {
  const widths = widthsOf(t, cols);
  const lastRoom = freeText ? Math.min(widths.at(-1)!, MIN_CELL) : widths.at(-1)!;
  const fixed = freeText ? widths.slice(0, -1) : widths;
  const room = maxWidth - (cols.length - 1) * 2 - (freeText ? lastRoom : 0);
  const cap = capFor(fixed, room);
  // A column's cut is widened where the cut would make two different cells look the same
  // (variants whose lists differ in the middle only): such a table would lie.
  const caps = fixed.map((w, k) => (w > cap ? distinctCap(t.rows.map((r) => r[cols[k]!]!), cap, w) : w));
  const clip = (c: string, k: number) => (k < fixed.length && c.length > caps[k]! ? shortenMiddle(c, caps[k]!) : c);
  const header = cols.map((i, k) => clip(t.header[i]!, k));
  const rows = t.rows.map((r) => cols.map((i, k) => clip(r[i]!, k)));
  const shown = widths.map((w, k) => (k < fixed.length ? Math.min(w, caps[k]!) : w));
  const used = shown.slice(0, -1).reduce((a, w) => a + w + 2, 0);
  const shortest = Math.min(...fixed.map((w, k) => (w > caps[k]! ? caps[k]! : Infinity)));
  return { text: render(header, rows, shown, maxWidth - used), fits: used + (freeText ? lastRoom : shown.at(-1)!) <= maxWidth, shortest };
}

/** The smallest width from `cap` on (up to the column's `natural` width) at which its different cells stay different when shortened. */
function distinctCap(cells: readonly string[], cap: number, natural: number): number {
  const distinct = [...new Set(cells)];
  for (let w = cap; w < natural; w++) {
    if (new Set(distinct.map((c) => (c.length > w ? shortenMiddle(c, w) : c))).size === distinct.length) return w;
  }
  return natural;
}

/** `s` in `n` characters: its start and its end, with "…" for what is left out. */
function shortenMiddle(s: string, n: number): string {
  const tail = Math.floor((n - 1) / 2);
  return `${s.slice(0, n - 1 - tail)}…${s.slice(s.length - tail)}`;
}

/** The largest cell width (≥ MIN_CELL) at which the columns fit in `room`. */
function capFor(widths: number[], room: number): number {
  let cap = Math.max(...widths, MIN_CELL);
  while (cap > MIN_CELL && widths.reduce((a, w) => a + Math.min(w, cap), 0) > room) cap--;
  return cap;
}

/** The table's lines; the last column's separator is no longer than `lastRoom` (nor its header). */
function render(header: string[], rows: string[][], widths: number[], lastRoom: number): string {
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? Math.max(header[i]!.length, Math.min(w, lastRoom)) : w));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

/**
 * Two metric values that differ by float rounding alone (1e-18 on a JS divergence of 0.002, from
 * summing in another order) are the same: within 1e-9 of each other, relative to the larger. The
 * tables print 4 significant digits, so a smaller change could not even be seen.
 */
export function sameNumber(x: number, y: number): boolean {
  return x === y || Math.abs(y - x) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
