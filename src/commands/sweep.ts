import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { DiagnosticError, escapeControls } from '../base/diagnostic.js';
import { closest } from '../base/suggest.js';
import { streamWidth, table } from '../base/format.js';
import { planPipeline } from '../runner/graph/plan.js';
import { writeFileAtomic } from '../base/atomic-file.js';
import { readHistory, shortRunId } from '../runner/cache/history.js';
import { CacheStore, newRunId } from '../runner/cache/store.js';
import { type HistoryRecord } from '../runner/cache/records.js';
import { chartFileBase, chooseSweepChart, renderSweepChart, sweepChartSpec } from './sweep-chart.js';
import { planSweep, SWEEP_TABLE_FILES, sweepFileClash, type SweepPlan } from '../runner/sweep/plan.js';
import { buildSweepReport, findMetric, flattenMetrics, formatParamCell, metricDisplayNames, sweepCsv, sweepTableText, type SweepReport } from '../runner/sweep/report.js';
import { runSweep } from '../runner/sweep/run.js';
import { runAfterRunHooks, storedOutputReader } from '../runner/exec/after-run.js';
import type { StepRegistry } from '../runner/step/registry.js';
import { displayPath } from '../base/display-path.js';
import type { CommandModule } from './command.js';
import { commandWriteProblem, loadPipelineContext, readOnlyStore, PIPELINE_FLAGS, PIPELINE_FLAGS_HELP, refuseCommandWrite, type PipelineContext } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';
import { outputFolders } from '../runner/exec/output-locks.js';
import { DEFAULT_LOCK_TIMEOUT_S, interruptExitCode, openExecution } from './session.js';

const usage = `usage: lvis-pipe sweep FILE [--grid NAME=V1,V2,...]... [options]

Runs the pipeline once per variant of its parameter sweep: every combination of the
values in \`sweep.grid\` (and --grid), plus the explicit \`sweep.variants\`. All variants
run through one cache, so a step they share (same key: load, stats, histograms, ...)
runs once; variants run in parallel (up to --jobs), CPU-heavy steps in worker threads.
A variant that fails does not stop the others (the exit status is then 1).

Each variant's output files go to a folder of its own, named by the params that vary:
  out/mini_lvis_train.json  →  out/sweep/alpha=0.4,total_images=500/mini_lvis_train.json
(in values, characters other than letters, digits and . _ - + are %-encoded, as in
URLs: a/b → a%2Fb). Then it prints a
table of the varying params, the metrics, the time and what ran (ran, shared: ran once
for several variants, cached), sorted by a metric, and writes it to the sweep folder as
sweep.csv and sweep.json, with a chart of a metric against a param (SVG and PNG). A
pipeline with a \`report\` step gets each variant's report in its folder, with the sweep's
comparison table.

options:
  -g, --grid NAME=V1,V2,...  sweep NAME over these values (repeatable); replaces NAME's
                         values in sweep.grid or adds NAME to the grid. Values are YAML
                         (--grid alpha=0.4,0.6  --grid 'pool=64,all')
  -j, --jobs N           variants running at once, and steps executing at once
                         (default: config jobs, else the CPU count)
      --sort METRIC      sort by METRIC (default: sweep.sort_by, else the first metric
                         shown); \`js_divergence\` or \`step.output.js_divergence\`
      --desc, --asc      higher first / lower first (default: sweep.order, else asc)
      --metrics A,B,...  metrics shown in the printed table (default: sweep.metrics, else
                         those that differ across the variants, up to 8); the CSV and the
                         JSON always have all
      --out DIR          the sweep folder (default: sweep.out, else sweep/ in the folder
                         of the pipeline's output files, e.g. out/sweep/)
      --chart-x PARAM    the chart's x axis (default: sweep.chart.x, else the first
                         varying numeric param); the colour shows the other varying params
      --chart-y METRIC   the chart's metric (default: sweep.chart.y, else the sort metric)
      --no-chart         draw no chart
      --dry-run          list the variants, their folders and how many steps each would
                         run; run nothing
      --lock-timeout S   seconds to wait for another run's cache lock (default ${DEFAULT_LOCK_TIMEOUT_S})
      --no-workers       run cpu-heavy steps on the main thread
  -q, --quiet            print only errors and the comparison
${PIPELINE_FLAGS_HELP}

exit status: 0 every variant ok; 1 a variant failed; 2 invalid pipeline, sweep or
usage; 75 the cache is locked by another run (--lock-timeout passed: try again later);
130 interrupted (Ctrl-C); 143 terminated.

examples:
  lvis-pipe sweep pipelines/sweep-mini-lvis.yaml --jobs 2
  lvis-pipe sweep pipelines/mini-lvis.yaml --grid alpha=0.4,0.6,0.8 --grid lambda_tier=0,1 --sort js_divergence
  lvis-pipe runs pipelines/sweep-mini-lvis.yaml     # the variants are runs of the pipeline`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = {
  ...PIPELINE_FLAGS,
  grid: { type: 'string', multiple: true, short: 'g' },
  jobs: { type: 'string', short: 'j' },
  sort: { type: 'string' },
  desc: { type: 'boolean' },
  asc: { type: 'boolean' },
  metrics: { type: 'string' },
  out: { type: 'string' },
  'chart-x': { type: 'string' },
  'chart-y': { type: 'string' },
  'no-chart': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'lock-timeout': { type: 'string' },
  'no-workers': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    if (positionals.length > 1) throw new UsageError(`expected one pipeline FILE, got ${positionals.length}\n\n${usage}`);
    if (values.desc && values.asc) throw new UsageError('--desc and --asc contradict each other');
    const ctx = await loadPipelineContext(env, positionals[0], values, usage);
    const base = ctx.pipeline;
    const plan = planSweep(base, {
      registry: env.registry,
      resolve: ctx.resolveOptions,
      grid: values.grid ?? [],
      ...(values.out !== undefined ? { out: path.resolve(env.cwd, values.out) } : {}),
      cwd: env.cwd,
    });
    // Its own files never over the pipeline, params or config file, nor into the cache.
    for (const name of SWEEP_TABLE_FILES) refuseCommandWrite(`the sweep's ${name}`, path.join(plan.outDir, name), ctx);
    const chartX = values['chart-x'] ?? plan.spec.chart.x;
    if (chartX !== undefined && !base.source.decls.has(chartX)) throw new UsageError(`--chart-x: no param \`${chartX}\` in ${base.displayFile}`);
    // Checked before a dry run too: a misspelt --sort is a mistake whether or not anything runs.
    await checkMetricNamesAgainstHistory(
      readOnlyStore(env, ctx.cacheDir),
      base.id,
      [values.sort ?? plan.spec.sortBy, ...(values.metrics?.split(',').map((m) => m.trim()) ?? plan.spec.metrics ?? [])].filter((m): m is string => !!m && !m.endsWith('?')),
      values.sort !== undefined || values.metrics !== undefined ? '--sort/--metrics' : `the sweep section of ${base.displayFile}`,
    );
    if (values['dry-run']) return dryRun(env, plan, ctx.cacheDir, values.json === true);

    const json = values.json === true;
    const { reporter, notice, session, executor, jobs } = await openExecution(
      env, ctx.cacheDir, ctx.config, values, `lvis-pipe sweep ${base.displayFile}`,
      outputFolders(plan.variants.map((v) => v.pipeline), [plan.outDir]),
    );
    try {
      const sweepId = newRunId();
      const startedAt = new Date().toISOString();
      const t0 = performance.now();
      reporter.event({ type: 'sweep-start', sweepId, pipeline: base.displayFile, variants: plan.variants.map((v) => ({ name: v.name, params: v.varying })), jobs, outDir: plan.outDir });
      if (plan.duplicates) notice(`${plan.duplicates} variant${plan.duplicates === 1 ? '' : 's'} repeated an earlier one (same params): run once`);
      const outcomes = await runSweep(executor, plan.variants, { sweepId, jobs, signal: session.signal });
      const report = buildSweepReport(outcomes, {
        sweepId,
        pipeline: base.displayFile,
        startedAt,
        durationMs: performance.now() - t0,
        jobs,
        varying: plan.varying,
        outDir: plan.outDir,
        order: values.desc ? 'desc' : values.asc ? 'asc' : plan.spec.order,
        ...((values.sort ?? plan.spec.sortBy) !== undefined ? { sortBy: (values.sort ?? plan.spec.sortBy)! } : {}),
        ...(values.metrics !== undefined ? { metrics: values.metrics.split(',').map((m) => m.trim()).filter(Boolean), metricsFromCli: true } : plan.spec.metrics ? { metrics: plan.spec.metrics } : {}),
        // Shown even with --quiet: an unknown --sort or --metrics name changes what the table means.
        warn: (m) => (json ? notice(`warning: ${m}`) : env.stderr.write(`warning: ${escapeControls(m)}\n`)),
      });

      await mkdir(plan.outDir, { recursive: true });
      if (!values['no-chart']) await writeChart(report, { ...plan.spec.chart, ...(chartX !== undefined ? { x: chartX } : {}), ...(values['chart-y'] !== undefined ? { y: values['chart-y'] } : {}) }, notice, plan, ctx);
      await writeVariantReports(plan, report, session.store, env.registry, notice);
      const stale = await foldersOfOtherSweeps(plan);
      if (stale.length) {
        notice(
          `${displayPath(plan.outDir)} also holds ${stale.length} folder${stale.length === 1 ? '' : 's'} this sweep did not write (${stale.slice(0, 4).join(', ')}${stale.length > 4 ? ', …' : ''}): ` +
            'left from an earlier sweep; sweep.csv and sweep.json describe only this one',
        );
      }
      const csv = path.join(plan.outDir, 'sweep.csv');
      const jsonFile = path.join(plan.outDir, 'sweep.json');
      report.files.unshift(csv, jsonFile);
      await writeFileAtomic(csv, sweepCsv(report));
      await writeFileAtomic(jsonFile, JSON.stringify(report, null, 1) + '\n');

      reporter.close();
      if (!json) {
        env.stdout.write(`\n${sweepTableText(report, streamWidth(env.stdout))}\n\n`);
        env.stdout.write(escapeControls(`wrote ${report.files.map((f) => displayPath(f)).join(', ')}\n`));
        env.stdout.write(escapeControls(`sweep ${shortRunId(sweepId)}: lvis-pipe runs ${base.displayFile} --sweep ${shortRunId(sweepId)} lists its variants\n`));
      }
      reporter.event({ type: 'sweep-finish', sweepId, status: report.status, durationMs: performance.now() - t0, result: report });
      if (report.status === 'interrupted') return interruptExitCode(session.interruptedBy());
      return report.status === 'ok' ? 0 : 1;
    } finally {
      reporter.close();
      session.close();
    }
  },
};

/**
 * `--dry-run`: the variants, their folders, and what each would run (nothing runs, no lock).
 * A key that an earlier variant will run is counted as shared: it runs once.
 */
async function dryRun(env: CliEnv, plan: SweepPlan, cacheDir: string, json: boolean): Promise<number> {
  const store = new CacheStore(cacheDir);
  const statCache = store.statCache;
  const toRun = new Set<string>();
  const rows = [];
  for (const v of plan.variants) {
    const entries = await planPipeline(v.pipeline, store, statCache, { stateId: v.stateId });
    const runs = entries.filter((e) => e.action === 'run');
    rows.push({
      name: v.name,
      params: v.varying,
      folder: v.folder,
      run: runs.filter((e) => !toRun.has(e.key)).map((e) => e.id),
      shared: runs.filter((e) => toRun.has(e.key)).map((e) => e.id),
      cached: entries.filter((e) => e.action !== 'run').map((e) => e.id),
    });
    for (const e of runs) toRun.add(e.key);
  }
  await statCache.save();
  if (json) {
    env.stdout.write(JSON.stringify({ outDir: plan.outDir, varying: plan.varying, variants: rows, executions: toRun.size }, null, 2) + '\n');
    return 0;
  }
  env.stdout.write(
    table(
      ['variant', ...plan.varying, 'folder', 'would run', 'shared', 'cached'],
      rows.map((r) => [r.name, ...plan.varying.map((p) => formatParamCell(r.params[p])), displayPath(r.folder), r.run.join(', ') || '–', String(r.shared.length), String(r.cached.length)]),
      streamWidth(env.stdout),
    ) + '\n',
  );
  const n = plan.variants.length;
  env.stdout.write(
    `\n${n} variant${n === 1 ? '' : 's'}${plan.duplicates ? ` (${plan.duplicates} duplicate${plan.duplicates === 1 ? '' : 's'} dropped)` : ''}: ` +
      `${toRun.size} step execution${toRun.size === 1 ? '' : 's'} (\`shared\`: run once, by an earlier variant)\n`,
  );
  return 0;
}

async function writeChart(report: SweepReport, want: { x?: string; y?: string; color?: string }, notice: (m: string) => void, plan: SweepPlan, ctx: PipelineContext): Promise<void> {
  if (report.metrics.length === 0) return; // no variant produced metrics (all failed, or the pipeline has none)
  let y = want.y;
  if (y !== undefined) {
    const display = new Map(Object.entries(report.metricSources).map(([d, f]) => [f, d]));
    const found = findMetric(y, display);
    if ('error' in found) {
      notice(`warning: chart: ${found.error}; no chart drawn`);
      return;
    }
    y = found.name;
  }
  const choice = chooseSweepChart(report, { ...want, ...(y !== undefined ? { y } : {}) });
  if (!choice) return;
  if (!report.variants.some((v) => v.status === 'ok' && typeof v.metrics[choice.y] === 'number')) return;
  try {
    const { svg, png } = await renderSweepChart(sweepChartSpec(report, choice));
    const base = path.join(report.outDir, chartFileBase(choice));
    const names = [`${chartFileBase(choice)}.svg`, `${chartFileBase(choice)}.png`];
    const clash = sweepFileClash(report.outDir, names, plan.variants.map((v) => v.pipeline)) ?? names.map((n) => commandWriteProblem(`the sweep's ${n}`, path.join(report.outDir, n), ctx)).find(Boolean);
    if (clash) return notice(`warning: no chart drawn: ${clash}`);
    await writeFileAtomic(`${base}.svg`, svg);
    await writeFileAtomic(`${base}.png`, png);
    report.files.push(`${base}.svg`, `${base}.png`);
  } catch (err) {
    notice(`warning: the sweep chart could not be drawn: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A pipeline with a `report` step: each finished variant's report page goes to its folder
 * (where its `out` option points, moved as the output files are), with the sweep's table.
 * (Variants do not run the steps' after-run hooks, which would all write the plain path.)
 */
/**
 * Metric names are known only once variants have run, but earlier runs of the pipeline name
 * them too: a name that none of them has but that is one or two letters from one of theirs is a
 * typo, reported before a long sweep starts (exit 2). Other unknown names (a metric a newer
 * version adds, or no earlier runs) wait for the sweep's own metrics, and a warning.
 */
async function checkMetricNamesAgainstHistory(store: CacheStore, pipelineId: string, names: string[], where: string): Promise<void> {
  if (names.length === 0) return;
  const known = new Set<string>();
  for (const h of await readHistory(store)) {
    if (h.pipelineId !== pipelineId) continue;
    for (const [full] of flattenMetrics(h.metrics)) known.add(full);
  }
  if (known.size === 0) return;
  const display = metricDisplayNames([...known]);
  const shown = [...display.values()];
  const problems = names
    .filter((n) => closest(n, shown) !== undefined)
    .map((n) => findMetric(n, display))
    .flatMap((r) => ('error' in r ? [r.error] : []));
  if (problems.length) {
    throw new DiagnosticError(
      problems.map((m) => ({ severity: 'error' as const, message: `${where}: ${m} (from earlier runs of this pipeline)` })),
      2,
    );
  }
}

/** Sub-folders of the sweep folder that are not this sweep's variants (an earlier sweep's). */
async function foldersOfOtherSweeps(plan: SweepPlan): Promise<string[]> {
  const mine = new Set(plan.variants.map((v) => path.basename(v.folder)));
  const entries = await readdir(plan.outDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !mine.has(e.name)).map((e) => e.name).sort();
}

async function writeVariantReports(plan: SweepPlan, report: SweepReport, store: CacheStore, registry: StepRegistry, notice: (m: string) => void): Promise<void> {
  const rows = report.variants.map((v) => ({ label: v.name, params: v.params, metrics: v.metrics, durationMs: v.durationMs, status: v.status }));
  const byName = new Map(report.variants.map((v) => [v.name, v]));
  const read = storedOutputReader(store, registry);
  for (const v of plan.variants) {
    const row = byName.get(v.name);
    if (row?.status !== 'ok' || !row.runId) continue;
    try {
      const history = await store.readSealed<HistoryRecord>(path.join(store.historyDir, `${row.runId}.json`), 'history record');
      if (!history) continue;
      // The variant's pipeline already writes into the variant's folder (sweep/paths.ts).
      for (const outcome of await runAfterRunHooks(v.pipeline, history, read, { sweep: rows })) {
        report.files.push(...outcome.written);
        if (outcome.error !== undefined) throw outcome.error;
      }
    } catch (err) {
      notice(`warning: the report of variant ${v.name} could not be written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

