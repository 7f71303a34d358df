/** Small text helpers shared by reporters, commands and steps' logs. */

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
 * How wide a table printed on `stream` may be: the terminal's width when it is one, else no
 * limit (a pipe or a file gets every cell whole, as `ls` and `git` do).
 */
export function streamWidth(stream: unknown): number {
  const s = stream as { isTTY?: boolean; columns?: number };
  return s.isTTY ? (s.columns !== undefined && s.columns > 0 ? s.columns : 80) : Infinity;
}

/**
 * A left-aligned text table (no borders), columns separated by two spaces, at most `maxWidth`
 * wide (`streamWidth` of where it goes). The last column is free text and may run on (a terminal
 * wraps it). When the others do not fit, long cells are shortened in the middle with "…", so that
 * both ends stay (`ann_p…e_ks`, `2026-…14:03`; never below 12 characters); when they still do not
 * fit, the columns are split into several tables, each repeating the first column, one under the
 * other.
 */
export function table(header: string[], rows: string[][], maxWidth: number): string {
  const widthsOf = (cols: number[]) => cols.map((i) => Math.max(header[i]!.length, ...rows.map((r) => (r[i] ?? '').length)));
  const all = header.map((_, i) => i);
  const fixed = (w: number[]) => w.slice(0, -1).reduce((a, b) => a + b + 2, 0);
  let widths = widthsOf(all);
  // Room the last column gets before it may run on.
  const last = Math.min(widths.at(-1)!, MIN_CELL);
  if (fixed(widths) + last <= maxWidth) return render(header, rows, widths);
  // Shorten the widest cells first, down to MIN_CELL.
  const cap = capFor(widths.slice(0, -1), maxWidth - (widths.length - 1) * 2 - last);
  const clip = (c: string) => (c.length > cap ? shortenMiddle(c, cap) : c);
  const h2 = header.map((h, i) => (i === header.length - 1 ? h : clip(h)));
  const r2 = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : clip(c ?? ''))));
  widths = h2.map((h, i) => Math.max(h.length, ...r2.map((r) => (r[i] ?? '').length)));
  if (fixed(widths) + last <= maxWidth) return render(h2, r2, widths);
  // Still too wide: one table per group of columns that fits, each led by the first column.
  const groups: number[][] = [];
  let group = [0];
  let used = widths[0]!;
  for (let i = 1; i < widths.length; i++) {
    if (group.length > 1 && used + 2 + widths[i]! > maxWidth) {
      groups.push(group);
      group = [0];
      used = widths[0]!;
    }
    group.push(i);
    used += 2 + widths[i]!;
  }
  groups.push(group);
  return groups.map((g) => render(g.map((i) => h2[i]!), r2.map((r) => g.map((i) => r[i] ?? '')), g.map((i) => widths[i]!))).join('\n\n');
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

function render(header: string[], rows: string[][], widths: number[]): string {
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Two metric values that differ by float rounding alone (1e-18 on a JS divergence of 0.002, from
 * summing in another order) are the same: within 1e-9 of each other, relative to the larger. The
 * tables print 4 significant digits, so a smaller change could not even be seen.
 */
export function sameNumber(x: number, y: number): boolean {
  return x === y || Math.abs(y - x) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}
