/**
 * Past runs, from the history records the executor writes at the end of every pipeline run
 * (history/<runId>.json: params, each step's key, status, time and outputs, and the values
 * of `metrics: true` outputs). `lvis-pipe runs` lists them, `lvis-pipe diff` compares two.
 *
 * Run ids are `<UTC time>-<pid>-<6 hex digits>`; the hex digits are the run's short id.
 * A run can be named by its full id, a prefix of it, its short id or a prefix of that (at
 * least 4 characters, as git takes abbreviated hashes), or `@` (the newest run) and `@~N`
 * (N runs before it).
 */
import path from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import { canonicalJson } from './hash.js';
import { sameNumber } from '../../base/format.js';
import { listHistory } from './gc.js';
import type { CacheStore } from './store.js';
import { type HistoryRecord } from './records.js';
import { type HistoryStep } from './records.js';
import { type StoredOutput } from './records.js';
import { flattenMetrics, metricDisplayNames, selectMetrics, type StepCounts } from '../sweep/report.js';

/** Every history record in the cache, newest first. */
export async function readHistory(store: CacheStore): Promise<HistoryRecord[]> {
  return (await listHistory(store)).sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1));
}

/**
 * The files a past run read (from its steps' run records: the files hashed into each key,
 * relative to the pipeline's folder `dir`) and wrote (its output paths), each with its role,
 * for commands that must not write over any of them (`report --out`).
 */
export async function recordedRunFiles(store: CacheStore, run: HistoryRecord, dir: string): Promise<{ file: string; role: string }[]> {
  const files: { file: string; role: string }[] = [];
  for (const [id, step] of Object.entries(run.steps)) {
    const rec = (await store.records(step.key))[0];
    for (const rel of Object.keys(rec?.material.files ?? {})) files.push({ file: path.resolve(dir, rel), role: `a file step \`${id}\` of run ${shortRunId(run.runId)} read` });
    for (const [name, out] of Object.entries(step.outputs)) {
      if (out.path) files.push({ file: out.path, role: `the output \`${name}\` of step \`${id}\` of run ${shortRunId(run.runId)}` });
    }
  }
  return files;
}

/** The random part of a run id: what tables show, and the shortest way to name a run. */
export function shortRunId(runId: string): string {
  const m = /-([0-9a-f]+)$/.exec(runId);
  return m ? m[1]! : runId;
}

const MIN_PREFIX = 4;

/**
 * The run `ref` names among `runs` (newest first). Throws a DiagnosticError (exit 2) when
 * none or several match, listing candidates. `scope` says where the runs are, for messages
 * (`among the runs of p.yaml`, `in the cache .lvis-pipe`).
 */
export function resolveRunRef(ref: string, runs: readonly HistoryRecord[], scope: string): HistoryRecord {
  const fail = (message: string): never => {
    throw new DiagnosticError([{ severity: 'error', message }], 2);
  };
  const list = (rs: readonly HistoryRecord[]) =>
    rs
      .slice(0, 8)
      .map((r) => `${shortRunId(r.runId)} (${r.startedAt}${r.label ? `, ${r.label}` : ''})`)
      .join(', ') + (rs.length > 8 ? `, … (${rs.length - 8} more)` : '');
  const at = /^@(?:~(\d+))?$/.exec(ref);
  if (at) {
    const n = at[1] === undefined ? 0 : Number(at[1]);
    if (n >= runs.length) return fail(`\`${ref}\`: there ${runs.length === 1 ? 'is' : 'are'} only ${runs.length} run${runs.length === 1 ? '' : 's'} ${scope}`);
    return runs[n]!;
  }
  const exact = runs.find((r) => r.runId === ref || shortRunId(r.runId) === ref);
  if (exact) return exact;
  if (ref.length < MIN_PREFIX) return fail(`run \`${ref}\`: give at least ${MIN_PREFIX} characters of a run id (or @ for the newest run, @~1 for the one before)`);
  const matches = runs.filter((r) => r.runId.startsWith(ref) || shortRunId(r.runId).startsWith(ref));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) return fail(`run \`${ref}\` is ambiguous: it matches ${matches.length} runs: ${list(matches)}`);
  return fail(`no run \`${ref}\` ${scope}${runs.length ? `; the newest: ${list(runs)}` : ' (no runs yet)'}`);
}

export function historyStepCounts(h: HistoryRecord): StepCounts {
  const c: StepCounts = { ran: 0, shared: 0, cached: 0, failed: 0, skipped: 0, interrupted: 0 };
  for (const s of Object.values(h.steps)) {
    if (s.status === 'ran' && s.shared) c.shared++;
    else c[s.status]++;
  }
  return c;
}

export interface RunsRow {
  runId: string;
  shortId: string;
  startedAt: string;
  durationMs: number;
  status: HistoryRecord['status'];
  /** A sweep variant's name. */
  label?: string;
  sweepId?: string;
  params: Record<string, unknown>;
  /** By display name. */
  metrics: Record<string, unknown>;
  steps: StepCounts;
}

export interface RunsTable {
  /** Params shown: those whose values differ across the runs (all of them for one run). */
  params: string[];
  /** Every metric's display name. */
  metrics: string[];
  /** Display name → `step.output.metric`. */
  metricSources: Record<string, string>;
  /** Metrics shown in the printed table. */
  shown: string[];
  rows: RunsRow[];
}

export interface RunsTableOptions {
  /** Show every param, not only those that differ. */
  allParams?: boolean;
  /** Metrics to show (names as the user wrote them); default: those that differ, up to `maxMetrics`. */
  metrics?: string[];
  maxMetrics?: number;
  warn(message: string): void;
}

/** The runs (newest first) as a table: the params that differ, metrics, status, time. */
export function runsTable(runs: readonly HistoryRecord[], o: RunsTableOptions): RunsTable {
  const paramNames: string[] = [];
  for (const r of [...runs].reverse()) for (const k of Object.keys(r.params)) if (!paramNames.includes(k)) paramNames.push(k);
  const params =
    o.allParams || runs.length < 2 ? paramNames : paramNames.filter((k) => new Set(runs.map((r) => canonicalJson(r.params[k] ?? null))).size > 1);
  const flat = runs.map((r) => new Map(flattenMetrics(r.metrics)));
  const fullNames: string[] = [];
  for (const m of [...flat].reverse()) for (const k of m.keys()) if (!fullNames.includes(k)) fullNames.push(k);
  const display = metricDisplayNames(fullNames);
  const shown = selectMetrics(flat, fullNames, display, o.metrics, o.maxMetrics ?? 6, o.warn);
  return {
    params,
    metrics: fullNames.map((f) => display.get(f)!),
    metricSources: Object.fromEntries(fullNames.map((f) => [display.get(f)!, f])),
    shown,
    rows: runs.map((r, i) => ({
      runId: r.runId,
      shortId: shortRunId(r.runId),
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      status: r.status,
      ...(r.label !== undefined ? { label: r.label } : {}),
      ...(r.sweep ? { sweepId: r.sweep.id } : {}),
      params: Object.fromEntries(params.filter((p) => p in r.params).map((p) => [p, r.params[p]])),
      metrics: Object.fromEntries([...flat[i]!].map(([f, v]) => [display.get(f)!, v])),
      steps: historyStepCounts(r),
    })),
  };
}

// --- diff ---------------------------------------------------------------------------------

export type Change = 'same' | 'changed' | 'added' | 'removed';

export interface RunMeta {
  runId: string;
  shortId: string;
  pipeline: string;
  label?: string;
  startedAt: string;
  durationMs: number;
  status: HistoryRecord['status'];
}

export interface ParamDiff {
  name: string;
  a?: unknown;
  b?: unknown;
  change: Change;
}

export interface MetricDiff {
  name: string;
  a?: unknown;
  b?: unknown;
  /** b − a, for numbers. */
  delta?: number;
  /** (b − a) / |a|, for numbers with a ≠ 0. */
  relative?: number;
  change: Change;
}

export interface OutputDiff {
  /** `step.output`. */
  name: string;
  a?: StoredOutput & { path?: string };
  b?: StoredOutput & { path?: string };
  change: Change;
}

export interface StepDiff {
  id: string;
  a?: Pick<HistoryStep, 'status' | 'key' | 'durationMs' | 'shared'>;
  b?: Pick<HistoryStep, 'status' | 'key' | 'durationMs' | 'shared'>;
  /** Whether its cache key changed (what it computes from changed). */
  key: Change;
}

export interface RunDiff {
  a: RunMeta;
  b: RunMeta;
  params: ParamDiff[];
  metrics: MetricDiff[];
  outputs: OutputDiff[];
  steps: StepDiff[];
}

function meta(h: HistoryRecord): RunMeta {
  return {
    runId: h.runId,
    shortId: shortRunId(h.runId),
    pipeline: h.pipeline,
    ...(h.label !== undefined ? { label: h.label } : {}),
    startedAt: h.startedAt,
    durationMs: h.durationMs,
    status: h.status,
  };
}

function change(inA: boolean, inB: boolean, same: boolean): Change {
  return !inA ? 'added' : !inB ? 'removed' : same ? 'same' : 'changed';
}

function union<T>(a: Iterable<T>, b: Iterable<T>): T[] {
  return [...new Set([...a, ...b])];
}

/** What differs between two runs (everything is listed, with its change). */
export function diffRuns(a: HistoryRecord, b: HistoryRecord): RunDiff {
  const params = union(Object.keys(a.params), Object.keys(b.params)).map((name): ParamDiff => {
    const inA = name in a.params;
    const inB = name in b.params;
    return { name, ...(inA ? { a: a.params[name] } : {}), ...(inB ? { b: b.params[name] } : {}), change: change(inA, inB, canonicalJson(a.params[name] ?? null) === canonicalJson(b.params[name] ?? null)) };
  });

  const ma = new Map(flattenMetrics(a.metrics));
  const mb = new Map(flattenMetrics(b.metrics));
  const full = union(ma.keys(), mb.keys());
  const display = metricDisplayNames(full);
  const metrics = full.map((f): MetricDiff => {
    const x = ma.get(f);
    const y = mb.get(f);
    const numeric = typeof x === 'number' && typeof y === 'number';
    return {
      name: display.get(f)!,
      ...(ma.has(f) ? { a: x } : {}),
      ...(mb.has(f) ? { b: y } : {}),
      ...(numeric ? { delta: y - x } : {}),
      ...(numeric && x !== 0 ? { relative: (y - x) / Math.abs(x) } : {}),
      change: change(ma.has(f), mb.has(f), numeric ? sameNumber(x, y) : x === y),
    };
  });

  const outs = (h: HistoryRecord) => new Map(Object.entries(h.steps).flatMap(([id, s]) => Object.entries(s.outputs).map(([n, o]) => [`${id}.${n}`, o] as const)));
  const oa = outs(a);
  const ob = outs(b);
  const outputs = union(oa.keys(), ob.keys()).map((name): OutputDiff => {
    const x = oa.get(name);
    const y = ob.get(name);
    return { name, ...(x ? { a: x } : {}), ...(y ? { b: y } : {}), change: change(x !== undefined, y !== undefined, x?.digest === y?.digest) };
  });

  const pick = (s: HistoryStep | undefined) => (s ? { status: s.status, key: s.key, durationMs: s.durationMs, ...(s.shared ? { shared: true } : {}) } : undefined);
  const steps = union(Object.keys(a.steps), Object.keys(b.steps)).map((id): StepDiff => {
    const x = pick(a.steps[id]);
    const y = pick(b.steps[id]);
    return { id, ...(x ? { a: x } : {}), ...(y ? { b: y } : {}), key: change(x !== undefined, y !== undefined, x?.key === y?.key) };
  });
  return { a: meta(a), b: meta(b), params, metrics, outputs, steps };
}
