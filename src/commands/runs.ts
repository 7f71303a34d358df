import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { DiagnosticError, escapeControls } from '../base/diagnostic.js';
import { formatDuration, streamWidth, table } from '../base/format.js';
import { readHistory, runsTable, shortRunId, type RunsRow } from '../runner/cache/history.js';
import { isPlainObject } from '../runner/pipeline/params.js';
import { pipelineIdOf, readPipeline } from '../runner/pipeline/pipeline.js';
import { formatCell, formatParamCell, stepCountsLabel } from '../runner/sweep/report.js';
import { displayPath } from '../base/display-path.js';
import type { CommandModule } from './command.js';
import { locateCache, readOnlyStore } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';

const usage = `usage: lvis-pipe runs FILE [options]

Lists the past runs of a pipeline, newest first, from the cache's run history (like
\`dvc exp show\`): each run's short id, when it started, its status and time, the params
that differ across the runs, its metrics (the values of \`metrics: true\` outputs, e.g.
the sampler's quality) and what its steps did (ran, shared with another sweep variant,
cached). Sweep variants are runs too, named by their varying params. Name a run to
\`lvis-pipe diff\` by its short id (or a prefix of 4+ characters), or @ / @~N.

options:
  -n, --limit N          the N newest runs (default: all)
      --metrics A,B,...  the metric columns (default: the pipeline's sweep.metrics, else
                         the metrics that differ across the runs, up to 6; \`all\` for all)
      --all-params       every param, not only those that differ
      --sweep ID         only the variants of one sweep (its id or a prefix)
      --cache-dir DIR    the cache folder (default: config cacheDir, else .lvis-pipe/
                         beside the pipeline file)
      --json             every run with all its params and metrics, as JSON
  -h, --help             this help

example:
  lvis-pipe runs pipelines/sweep-mini-lvis.yaml --metrics js_divergence,mse -n 10`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = {
  limit: { type: 'string', short: 'n' },
  metrics: { type: 'string' },
  'all-params': { type: 'boolean' },
  sweep: { type: 'string' },
  'cache-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length !== 1) throw new UsageError(`expected one pipeline FILE\n\n${usage}`);
    const limit = values.limit !== undefined ? Number(values.limit) : Infinity;
    if (!(limit >= 1) || (limit !== Infinity && !Number.isInteger(limit))) throw new UsageError(`--limit must be a whole number ≥ 1, got ${values.limit}`);
    const file = path.resolve(env.cwd, positionals[0]!);
    const { cacheDir } = await locateCache(env, file, values['cache-dir']);
    const sweepMetrics = metricsOfSweep(file);
    const id = pipelineIdOf(file);
    const all = existsSync(cacheDir) ? await readHistory(readOnlyStore(env, cacheDir)) : [];
    let runs = all.filter((h) => h.pipelineId === id);
    if (values.sweep !== undefined) runs = runs.filter((h) => h.sweep && (h.sweep.id.startsWith(values.sweep!) || shortRunId(h.sweep.id).startsWith(values.sweep!)));
    runs = runs.slice(0, limit);
    if (runs.length === 0) {
      const why = !existsSync(file) ? `no such file, and no runs of it` : values.sweep !== undefined ? `no runs of sweep ${values.sweep}` : `not run yet (no runs in ${displayPath(cacheDir)})`;
      throw new DiagnosticError([{ severity: 'error', message: `${displayPath(file)}: ${why}` }], 1);
    }
    const warn = (m: string) => env.stderr.write(`warning: ${escapeControls(m)}\n`);
    const want = values.metrics === 'all' ? undefined : values.metrics !== undefined ? values.metrics.split(',').map((s) => s.trim()).filter(Boolean) : sweepMetrics;
    if (values.json) {
      const t = runsTable(runs, { allParams: true, warn });
      env.stdout.write(JSON.stringify({ pipeline: displayPath(file), differing: runsTable(runs, { warn }).params, metrics: t.metrics, metricSources: t.metricSources, runs: t.rows }, null, 2) + '\n');
      return 0;
    }
    const t = runsTable(runs, { allParams: values['all-params'] === true, ...(want ? { metrics: want } : {}), maxMetrics: values.metrics === 'all' ? Infinity : 6, warn });
    const labelled = t.rows.some((r) => r.label);
    const header = ['run', 'started', 'status', 'time', ...(labelled ? ['sweep', 'variant'] : []), ...t.params, ...t.shown, 'steps'];
    const rows = t.rows.map((r: RunsRow) => [
      r.shortId,
      localTime(r.startedAt),
      r.status,
      formatDuration(r.durationMs),
      ...(labelled ? [r.sweepId ? shortRunId(r.sweepId) : '', r.label ?? ''] : []),
      ...t.params.map((p) => formatParamCell(r.params[p])),
      ...t.shown.map((m) => formatCell(r.metrics[m])),
      stepCountsLabel(r.steps),
    ]);
    env.stdout.write(table(header, rows, streamWidth(env.stdout)) + '\n');
    const hidden = t.metrics.length - t.shown.length;
    env.stdout.write(
      escapeControls(
        `\n${runs.length} run${runs.length === 1 ? '' : 's'} of ${displayPath(file)}` +
          (hidden > 0 ? `; ${hidden} more metric${hidden === 1 ? '' : 's'} (--metrics all, or --json)` : '') +
          `; compare two with: lvis-pipe diff ${displayPath(file)} RUN RUN\n`,
      ),
    );
    return 0;
  },
};

/** The `sweep.metrics` of the pipeline file, if it can be read (runs are listed even when it cannot). */
function metricsOfSweep(file: string): string[] | undefined {
  try {
    const sweep = readPipeline(file).raw.sweep;
    if (isPlainObject(sweep) && Array.isArray(sweep.metrics)) return sweep.metrics.filter((m): m is string => typeof m === 'string');
  } catch {
    // a missing or broken file still has its past runs
  }
  return undefined;
}

/** `2025-01-31 14:05:09`, local time. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
