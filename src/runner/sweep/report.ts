/**
 * A sweep's comparison: one row per variant with the params that vary, the metrics (from
 * the `metrics: true` outputs), the time and what ran, sorted by a metric. Rendered as a
 * text table (printed), CSV and JSON (written to the sweep's folder).
 *
 * Metric names. A metrics output `quality` of step `sample` holding `{js_divergence: …}`
 * gives the metric `sample.quality.js_divergence`, shown as `js_divergence` when no other
 * metrics output has one of that name. Users may name a metric either way (or as
 * `quality.js_divergence`).
 */
import { type StepSummary } from '../exec/summary.js';
import { formatDuration, sameNumber, table } from '../../base/format.js';
import { formatParamValue } from './grid.js';
import { didYouMean, listNames } from '../../base/suggest.js';

export type VariantStatus = 'ok' | 'failed' | 'interrupted';

export interface SweepVariantOutcome {
  name: string;
  folder: string;
  varying: Record<string, unknown>;
  status: VariantStatus;
  runId?: string;
  durationMs: number;
  steps: StepSummary[];
  /** `stepId.output` → its metrics record (as in the history record). */
  metrics: Record<string, Record<string, unknown>>;
  historyFile?: string;
  /** The first failure, `step: message`. */
  error?: string;
}

export interface StepCounts {
  ran: number;
  shared: number;
  cached: number;
  failed: number;
  skipped: number;
  interrupted: number;
}

export interface SweepReportVariant {
  /** 1-based position in the sorted table. */
  rank: number;
  name: string;
  folder: string;
  status: VariantStatus;
  runId?: string;
  /** The varying params' values. */
  params: Record<string, unknown>;
  /** By display name (see the module comment). */
  metrics: Record<string, unknown>;
  durationMs: number;
  steps: StepCounts;
  error?: string;
}

export interface SweepReport {
  sweepId: string;
  pipeline: string;
  startedAt: string;
  durationMs: number;
  status: VariantStatus;
  jobs: number;
  /** Params that vary across the variants, in sweep order. */
  varying: string[];
  /** Every metric's display name, in the order the outputs list them. */
  metrics: string[];
  /** Display name → full name (`step.output.metric`). */
  metricSources: Record<string, string>;
  /** The metrics shown in the printed table. */
  shown: string[];
  sortBy?: string;
  order: 'asc' | 'desc';
  outDir: string;
  variants: SweepReportVariant[];
  /**
   * Metrics of the file's `sweep.metrics` left out of the table because every variant has the
   * same value (display name → that value).
   */
  constant: Record<string, unknown>;
  /** Groups of variants (names) whose output files are byte-identical, two or more each. */
  identical: string[][];
  /**
   * Per output file (`step.output`, and its file name), the groups of two or more variants that
   * wrote it byte-identical: a subset two variants share although their charts differ.
   */
  sameFiles: { output: string; file: string; groups: string[][] }[];
  /** Files written (absolute): sweep.csv, sweep.json, the chart, reports. */
  files: string[];
}

export function stepCounts(steps: readonly StepSummary[]): StepCounts {
  const c: StepCounts = { ran: 0, shared: 0, cached: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const s of steps) {
    if (s.status === 'ran' && s.shared) c.shared++;
    else c[s.status]++;
  }
  return c;
}

/** Flattens `{ 'sample.quality': {a: 1} }` to `[['sample.quality.a', 1]]`, keeping numbers and strings. */
export function flattenMetrics(groups: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [source, rec] of Object.entries(groups)) {
    if (rec === null || typeof rec !== 'object') continue;
    for (const [k, v] of Object.entries(rec as Record<string, unknown>)) {
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out.push([`${source}.${k}`, v]);
    }
  }
  return out;
}

/**
 * Display names for full metric names (`step.output.metric`): the last part when it is
 * unique, else the full name. Returns full → display.
 */
export function metricDisplayNames(full: readonly string[]): Map<string, string> {
  const last = (n: string) => n.split('.').slice(2).join('.') || n;
  const count = new Map<string, number>();
  for (const f of full) count.set(last(f), (count.get(last(f)) ?? 0) + 1);
  return new Map(full.map((f) => [f, count.get(last(f)) === 1 ? last(f) : f]));
}

/**
 * Finds the metric a user named (display name, full name, or a unique `…suffix` of a full
 * name). Returns its display name, or an error message.
 */
export function findMetric(name: string, display: ReadonlyMap<string, string>): { name: string } | { error: string } {
  const names = [...display.values()];
  if (names.includes(name)) return { name };
  const full = display.get(name);
  if (full) return { name: full };
  const matches = [...display.entries()].filter(([f]) => f.endsWith(`.${name}`));
  if (matches.length === 1) return { name: matches[0]![1] };
  if (matches.length > 1) return { error: `metric \`${name}\` is ambiguous: ${listNames(matches.map(([f]) => f))}` };
  return { error: `no metric \`${name}\`${didYouMean(name, names)}${names.length ? `; the metrics: ${listNames(names, 12)}` : ' (no variant produced metrics)'}` };
}

/**
 * The metrics a table shows (display names): the ones asked for, or else those whose values
 * differ across the rows that have metrics (all of them when fewer than two rows do), up
 * to `max`, in the order the outputs list them.
 */
export function selectMetrics(
  rows: readonly ReadonlyMap<string, unknown>[],
  fullNames: readonly string[],
  display: ReadonlyMap<string, string>,
  want: readonly string[] | undefined,
  max: number,
  warn: (message: string) => void,
): string[] {
  if (want?.length) {
    const out: string[] = [];
    for (const m of want) {
      // `name?`: shown when a run has it, quietly left out when none does.
      const optional = m.endsWith('?');
      const r = findMetric(optional ? m.slice(0, -1) : m, display);
      if ('name' in r) {
        if (!out.includes(r.name)) out.push(r.name);
      } else if (fullNames.length && !optional) warn(`metrics: ${r.error}`);
    }
    return out;
  }
  const withMetrics = rows.filter((m) => m.size > 0);
  const varies = fullNames.filter((f) => withMetrics.length < 2 || new Set(withMetrics.map((m) => JSON.stringify(m.get(f) ?? null))).size > 1);
  return varies.slice(0, max).map((f) => display.get(f)!);
}

export interface BuildReportOptions {
  sweepId: string;
  pipeline: string;
  startedAt: string;
  durationMs: number;
  jobs: number;
  varying: string[];
  outDir: string;
  sortBy?: string;
  order: 'asc' | 'desc';
  /** Metrics to show in the printed table (names as the user wrote them). */
  metrics?: string[];
  /** At most this many metrics shown when none are chosen. */
  maxShown?: number;
  /**
   * `metrics` came from the command line: show them all. From the pipeline file, they are
   * defaults: one with the same value in every variant is said once, not given a column.
   */
  metricsFromCli?: boolean;
  /** Problems with the chosen names (unknown metrics), for the user. */
  warn(message: string): void;
}

/** The comparison of a sweep's variants, sorted. */
export function buildSweepReport(outcomes: readonly SweepVariantOutcome[], o: BuildReportOptions): SweepReport {
  const fullNames: string[] = [];
  const flat = outcomes.map((v) => {
    const f = flattenMetrics(v.metrics);
    for (const [k] of f) if (!fullNames.includes(k)) fullNames.push(k);
    return new Map(f);
  });
  const display = metricDisplayNames(fullNames);
  const metrics = fullNames.map((f) => display.get(f)!);
  const metricSources = Object.fromEntries(fullNames.map((f) => [display.get(f)!, f]));

  let sortBy: string | undefined;
  if (o.sortBy !== undefined) {
    const r = findMetric(o.sortBy, display);
    if ('name' in r) sortBy = r.name;
    else if (fullNames.length) o.warn(`sort: ${r.error}`);
  }
  let shown = selectMetrics(flat, fullNames, display, o.metrics, o.maxShown ?? 8, o.warn);
  sortBy ??= shown[0] ?? metrics[0];
  if (sortBy !== undefined && !shown.includes(sortBy)) shown.unshift(sortBy);
  const constant = o.metricsFromCli ? {} : constantMetrics(outcomes, flat, display, shown.filter((m) => m !== sortBy));
  shown = shown.filter((m) => !(m in constant));

  const rows = outcomes.map((v, i) => {
    const m: Record<string, unknown> = {};
    for (const [f, value] of flat[i]!) m[display.get(f)!] = value;
    const row: SweepReportVariant = {
      rank: 0,
      name: v.name,
      folder: v.folder,
      status: v.status,
      ...(v.runId ? { runId: v.runId } : {}),
      params: v.varying,
      metrics: m,
      durationMs: v.durationMs,
      steps: stepCounts(v.steps),
      ...(v.error ? { error: v.error } : {}),
    };
    return { row, index: i };
  });
  const sign = o.order === 'desc' ? -1 : 1;
  rows.sort((a, b) => {
    const okA = a.row.status === 'ok' ? 0 : 1;
    const okB = b.row.status === 'ok' ? 0 : 1;
    if (okA !== okB) return okA - okB;
    if (sortBy !== undefined) {
      const x = a.row.metrics[sortBy];
      const y = b.row.metrics[sortBy];
      const nx = typeof x === 'number' && !Number.isNaN(x);
      const ny = typeof y === 'number' && !Number.isNaN(y);
      if (nx && ny && x !== y) return sign * ((x as number) - (y as number));
      if (nx !== ny) return nx ? -1 : 1;
      if (!nx && !ny && x !== undefined && y !== undefined && String(x) !== String(y)) return sign * String(x).localeCompare(String(y));
    }
    return a.index - b.index;
  });
  rows.forEach((r, i) => (r.row.rank = i + 1));
  const status: VariantStatus = outcomes.some((v) => v.status === 'interrupted') ? 'interrupted' : outcomes.every((v) => v.status === 'ok') ? 'ok' : 'failed';
  return {
    sweepId: o.sweepId,
    pipeline: o.pipeline,
    startedAt: o.startedAt,
    durationMs: o.durationMs,
    status,
    jobs: o.jobs,
    varying: o.varying,
    metrics,
    metricSources,
    shown,
    ...(sortBy !== undefined ? { sortBy } : {}),
    order: o.order,
    outDir: o.outDir,
    variants: rows.map((r) => r.row),
    constant,
    identical: identicalOutputs(outcomes),
    sameFiles: sameOutputFiles(outcomes),
    files: [],
  };
}

/** Of `names`, those with one value in every ok variant (two or more of them): name → value. */
function constantMetrics(outcomes: readonly SweepVariantOutcome[], flat: readonly ReadonlyMap<string, unknown>[], display: ReadonlyMap<string, string>, names: readonly string[]): Record<string, unknown> {
  const ok = flat.filter((_, i) => outcomes[i]!.status === 'ok');
  if (ok.length < 2) return {};
  const out: Record<string, unknown> = {};
  for (const [full, name] of display) {
    if (!names.includes(name)) continue;
    const values = ok.map((m) => m.get(full));
    const first = values[0];
    const same = values.every((v) => (typeof v === 'number' && typeof first === 'number' ? sameNumber(v, first) : v === first));
    if (same && first !== undefined) out[name] = first;
  }
  return out;
}

/** Per output file, the groups (two or more) of ok variants that wrote it byte-identical. */
function sameOutputFiles(outcomes: readonly SweepVariantOutcome[]): SweepReport['sameFiles'] {
  const byOutput = new Map<string, { file: string; groups: Map<string, string[]> }>();
  for (const v of outcomes) {
    if (v.status !== 'ok') continue;
    for (const s of v.steps) {
      for (const o of s.outputs) {
        if (o.path === undefined) continue;
        const key = `${s.id}.${o.name}`;
        const entry = byOutput.get(key) ?? { file: o.path.split(/[\\/]/).pop()!, groups: new Map<string, string[]>() };
        entry.groups.set(o.digest, [...(entry.groups.get(o.digest) ?? []), v.name]);
        byOutput.set(key, entry);
      }
    }
  }
  return [...byOutput].flatMap(([output, e]) => {
    const groups = [...e.groups.values()].filter((g) => g.length > 1);
    return groups.length ? [{ output, file: e.file, groups }] : [];
  });
}

/**
 * Ok variants whose every output file (an output written to a path) has the same content as
 * another's: their differing params changed nothing the pipeline writes. Groups of names.
 */
function identicalOutputs(outcomes: readonly SweepVariantOutcome[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const v of outcomes) {
    if (v.status !== 'ok') continue;
    const files = v.steps.flatMap((s) => s.outputs.filter((o) => o.path !== undefined).map((o) => `${s.id}.${o.name}:${o.digest}`));
    if (files.length === 0) continue;
    const sig = files.sort().join('\n');
    groups.set(sig, [...(groups.get(sig) ?? []), v.name]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

/** A param value for a table cell: as written, whole (`table` shortens what a terminal has no room for). */
export function formatParamCell(v: unknown): string {
  return v === undefined ? '' : formatParamValue(v);
}

/** A metric value for a table cell: numbers to 4 significant digits. */
export function formatCell(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return formatParamValue(v);
}

export function stepCountsLabel(c: StepCounts): string {
  const parts = (['ran', 'shared', 'cached', 'failed', 'skipped', 'interrupted'] as const).filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  return parts.join(', ') || '–';
}

/** The printed comparison. */
export function sweepTableText(r: SweepReport, width: number): string {
  const header = ['#', ...r.varying, ...r.shown.map((m) => (m === r.sortBy ? `${m} (${r.order === 'asc' ? 'lowest' : 'highest'} first)` : m)), 'time', 'steps', 'status'];
  const rows = r.variants.map((v) => [
    String(v.rank),
    ...r.varying.map((p) => formatParamCell(v.params[p])),
    ...r.shown.map((m) => formatCell(v.metrics[m])),
    formatDuration(v.durationMs),
    stepCountsLabel(v.steps),
    v.status === 'ok' ? 'ok' : `${v.status}${v.error ? `: ${statusLine(v.error, width)}` : ''}`,
  ]);
  const constant = Object.entries(r.constant);
  const hidden = r.metrics.length - r.shown.length - constant.length;
  const notes: string[] = [];
  if (constant.length) notes.push(`the same in every variant, so not a column: ${constant.map(([m, v]) => `${m} ${formatCell(v)}`).join(', ')}`);
  for (const g of r.identical) notes.push(`identical output files (what differs between them changes nothing the pipeline writes): ${g.join('; ')}`);
  notes.push(...sameFileNotes(r));
  if (hidden > 0) notes.push(`(${hidden} more metric${hidden === 1 ? '' : 's'} in sweep.csv and sweep.json; choose the columns with --metrics or sweep.metrics)`);
  return table(header, rows, width) + notes.map((n) => `\n${n}`).join('');
}

/**
 * Output files that some variants share without all of their files being identical (those are
 * said above): one line for the files every variant wrote the same, one per other shared file.
 */
function sameFileNotes(r: SweepReport): string[] {
  const ok = r.variants.filter((v) => v.status === 'ok').length;
  const covered = (g: string[]) => r.identical.some((i) => g.every((n) => i.includes(n)));
  const everywhere = r.sameFiles.filter((f) => f.groups.length === 1 && f.groups[0]!.length === ok).map((f) => f.file);
  const notes: string[] = [];
  if (everywhere.length && ok > 1 && r.identical.length !== 1) notes.push(`the same in every variant: ${everywhere.join(', ')}`);
  // Files shared by the same groups of variants go on one line (a chart's PNG and SVG).
  const lines = new Map<string, string[]>();
  for (const f of r.sameFiles) {
    if (f.groups.length === 1 && f.groups[0]!.length === ok) continue;
    const groups = f.groups.filter((g) => !covered(g)).map((g) => g.join(' = ')).join('; ');
    if (groups) lines.set(groups, [...(lines.get(groups) ?? []), f.file]);
  }
  for (const [groups, files] of lines) notes.push(`identical ${files.join(', ')}: ${groups}`);
  return notes;
}

/**
 * A failed variant's error in its status cell: its first line, cut at 70 characters on a
 * terminal (the cell is the table's free last column, which would wrap), whole in a pipe or a
 * file (sweep.json and the variant's own output have every line).
 */
function statusLine(error: string, width: number): string {
  const s = error.split('\n')[0]!;
  return Number.isFinite(width) && s.length > 70 ? s.slice(0, 69) + '…' : s;
}

function csvField(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'number' ? String(v) : formatParamValue(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV: one row per variant, every varying param and every metric (full precision). */
export function sweepCsv(r: SweepReport): string {
  const header = ['rank', 'variant', 'status', ...r.varying, ...r.metrics, 'time_s', 'ran', 'shared', 'cached', 'failed', 'skipped', 'run_id', 'folder', 'error'];
  const lines = [header.map(csvField).join(',')];
  for (const v of r.variants) {
    lines.push(
      [
        v.rank,
        v.name,
        v.status,
        ...r.varying.map((p) => v.params[p]),
        ...r.metrics.map((m) => v.metrics[m]),
        Number((v.durationMs / 1000).toFixed(3)),
        v.steps.ran,
        v.steps.shared,
        v.steps.cached,
        v.steps.failed,
        v.steps.skipped,
        v.runId,
        v.folder,
        v.error,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
