/**
 * What every reporter shares: the Reporter interface, and the text a human reporter prints
 * for each event (the plain and TTY reporters print the same lines; only the live display
 * differs).
 */
import { escapeControls, formatDiagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { formatBytes, formatDuration, table } from '../../base/format.js';
import type { RunEvent } from '../exec/events.js';
import type { OutputSummary, StepSummary } from '../exec/summary.js';

export interface Reporter {
  event(e: RunEvent): void;
  /** Flushes and stops any live display. */
  close(): void;
}

/**
 * The lines every human reporter prints for an event (undefined: nothing to print), with any
 * control characters a data file put into a log line or notice shown escaped.
 */
export function describeEvent(e: RunEvent, width = Infinity): string | undefined {
  const text = eventText(e, width);
  return text === undefined ? undefined : escapeControls(text);
}

function eventText(e: RunEvent, width: number): string | undefined {
  const tag = (id: string) => ('label' in e && e.label ? `[${e.label}] ${id}` : id);
  switch (e.type) {
    case 'run-start':
      if (e.label) return `▶ [${e.label}] started`;
      return `${e.pipeline}: ${e.steps.length} step${e.steps.length === 1 ? '' : 's'}, up to ${e.jobs} at once`;
    case 'hashing':
      return `hashing ${e.file} (${formatBytes(e.size)})…`;
    case 'step-start':
      return `▶ ${tag(e.stepId)} (${e.stepType})${e.shared ? ' shared with another variant' : ''}${e.worker ? ' [worker]' : ''}: ${e.reasons.join('; ')}`;
    case 'step-cached':
      return `✓ ${tag(e.stepId)} cached${e.reasons?.length ? ` (${e.reasons.join('; ')})` : ''}${e.restored.length ? `, restored ${e.restored.join(', ')}` : ''}`;
    case 'step-log': {
      // Continuation lines of a multi-line log line up under its first line.
      const head = `  ${tag(e.stepId)}: `;
      return head + e.message.split('\n').join('\n' + ' '.repeat(head.length));
    }
    case 'step-finish':
      return `✓ ${tag(e.stepId)} done in ${formatDuration(e.durationMs)}`;
    case 'step-failed':
      return failureText(e);
    case 'step-skipped':
      return `- ${tag(e.stepId)} skipped: ${e.reason}`;
    case 'run-finish':
      // A sweep variant: one line (the sweep prints its comparison table at the end).
      if (e.label) return `${e.status === 'ok' ? '✓' : '✗'} [${e.label}] ${e.status === 'ok' ? 'ok' : e.status.toUpperCase()} in ${formatDuration(e.durationMs)}: ${stepCountsText(e.steps)}`;
      return summaryText(e.steps, e.status, e.durationMs, width);
    case 'sweep-start':
      return `${e.pipeline}: sweep of ${e.variants.length} variant${e.variants.length === 1 ? '' : 's'}, up to ${e.jobs} at once; output files in ${displayPath(e.outDir)}/<variant>/`;
    case 'sweep-finish': {
      const n = e.result.variants.length;
      const ok = e.result.variants.filter((v) => v.status === 'ok').length;
      return `${e.status === 'ok' ? 'ok' : e.status.toUpperCase()}: ${ok} of ${n} variant${n === 1 ? '' : 's'} ok in ${formatDuration(e.durationMs)}`;
    }
    case 'notice':
      return e.message;
    case 'diagnostics':
      return e.diagnostics.map(formatDiagnostic).join('\n');
    case 'step-progress':
      return undefined;
  }
}

/** A failed step's lines; a sweep variant's label (its param values) shown escaped, as all the rest. */
export function failureText(e: Extract<RunEvent, { type: 'step-failed' }>): string {
  const head = `✗ ${e.label ? `[${e.label}] ` : ''}${e.stepId} (${e.stepType})`;
  if (e.interrupted) return escapeControls(`${head} interrupted`);
  if (e.diagnostics) return escapeControls(`${head} failed:\n${e.diagnostics.map((d) => indent(formatDiagnostic(d))).join('\n')}`);
  return escapeControls(`${head} crashed; this is a bug (in step type \`${e.stepType}\` or in lvis-pipe), please report it:\n${indent(e.error?.stack ?? e.error?.message ?? 'unknown error')}`);
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}

/** A metric for the summary table: counts exactly, other numbers to 4 significant digits. */
export function formatMetric(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

export function describeOutput(o: OutputSummary): string {
  if (o.path) return `${displayPath(o.path)} (${formatBytes(o.size)})`;
  if (o.metrics) {
    const parts = Object.entries(o.metrics)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
      .slice(0, 3)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatMetric(v) : v}`);
    return `${o.name}: ${parts.join(' ')}${Object.keys(o.metrics).length > 3 ? ' …' : ''}`;
  }
  return `${o.name}: ${o.kind} (${formatBytes(o.size)})`;
}

/** `2 ran, 5 shared, 1 cached`: a run's steps by what happened to them (`shared`: ran once for several sweep variants, in another one's run). */
export function stepCountsText(steps: StepSummary[]): string {
  const counts = new Map<string, number>();
  for (const s of steps) {
    const k = s.status === 'ran' && s.shared ? 'shared' : s.status;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return ['ran', 'shared', 'cached', 'failed', 'skipped', 'interrupted']
    .filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k}`)
    .join(', ');
}

export function summaryText(steps: StepSummary[], status: string, durationMs: number, width: number): string {
  // One line per output (a plot step has a dozen), so the table stays as wide as its longest output.
  const rows = steps.flatMap((s) => {
    const outputs = s.outputs.map(describeOutput);
    const first = outputs[0] ?? (s.error ? s.error.split('\n')[0]!.slice(0, 80) : s.reasons.join('; '));
    return [[s.id, s.status, s.status === 'skipped' ? '' : formatDuration(s.durationMs), first], ...outputs.slice(1).map((o) => ['', '', '', o])];
  });
  const counts = ['ran', 'cached', 'failed', 'skipped', 'interrupted']
    .map((k) => [k, steps.filter((s) => s.status === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  // Warnings last, where they are seen: a cache hit repeats those of the run that made its result.
  const warnings = steps.flatMap((s) => (s.warnings ?? []).map((w) => `  ${s.id}: ${w}`));
  const warned = warnings.length ? `\n\n${warnings.length === 1 ? 'a warning' : `${warnings.length} warnings`}:\n${warnings.join('\n')}` : '';
  return `\n${table(['step', 'status', 'time', 'outputs'], rows, width)}${warned}\n\n${status === 'ok' ? 'ok' : status.toUpperCase()}: ${counts} in ${formatDuration(durationMs)}`;
}
