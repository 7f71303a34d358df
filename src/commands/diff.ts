import { statSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import type { CliEnv } from '../cli-env.js';
import { escapeControls } from '../base/diagnostic.js';
import { formatBytes, formatDuration, streamWidth, table } from '../base/format.js';
import { shortHash } from '../runner/cache/hash.js';
import { diffRuns, readHistory, resolveRunRef, type RunDiff, type RunMeta, type StepDiff } from '../runner/cache/history.js';
import { pipelineIdOf } from '../runner/pipeline/pipeline.js';
import { formatCell, formatParamCell } from '../runner/sweep/report.js';
import { displayPath } from '../base/display-path.js';
import type { CommandModule } from './command.js';
import { locateCache, readOnlyStore, requireCacheFolder } from './common.js';
import { parseCommandArgs, UsageError } from './args.js';
import { localTime } from './runs.js';

const usage = `usage: lvis-pipe diff [FILE] [RUN_A RUN_B] [options]

Shows what differs between two runs: their params, their metrics (with the change b − a
and in percent; numbers within 1e-9 of each other, relative to the larger, count as the
same: that is float rounding, not a change), their outputs (content digest changed or the same; where files were
written) and their steps (ran, shared, cached, failed, and whether each step's cache key
changed). With FILE, runs are looked up among that pipeline's runs (and without runs
named, its two newest are compared); without FILE, among every run in the cache folder.

A run is named by its short id as \`lvis-pipe runs\` shows it, or by a prefix (4+
characters) of it or of the full id, or as @ (the newest run), @~1 (the one before), ...

options:
      --all              also list the params, metrics and outputs that are the same
      --cache-dir DIR    the cache folder (default: config cacheDir, else .lvis-pipe/
                         beside FILE, else in the current directory)
      --json             the comparison as JSON
  -h, --help             this help

examples:
  lvis-pipe diff pipelines/mini-lvis.yaml                  # its two newest runs
  lvis-pipe diff pipelines/mini-lvis.yaml 3fa9 c01b
  lvis-pipe diff --cache-dir pipelines/.lvis-pipe @~1 @`;

/** The command's flags, declared once: parsed by `run`, and by the docs test that checks every command line in the docs. */
const flags = { all: { type: 'boolean' }, 'cache-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsConfig['options'];

export const command: CommandModule = {
  options: flags,
  usage,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, usage);
    const args = [...positionals];
    const first = args[0];
    const file = first !== undefined && (args.length === 3 || args.length === 1 || isFile(path.resolve(env.cwd, first))) ? path.resolve(env.cwd, args.shift()!) : undefined;
    if (args.length === 1 || args.length > 2) throw new UsageError(`expected two runs to compare (or none, with FILE: its two newest)\n\n${usage}`);
    if (!file && args.length === 0) throw new UsageError(`expected a pipeline FILE or two runs\n\n${usage}`);
    const [refA, refB] = args.length === 2 ? [args[0]!, args[1]!] : ['@~1', '@'];

    const { cacheDir } = await locateCache(env, file, values['cache-dir']);
    requireCacheFolder(cacheDir, 'the pipeline FILE');
    let runs = await readHistory(readOnlyStore(env, cacheDir));
    if (file) runs = runs.filter((h) => h.pipelineId === pipelineIdOf(file));
    const scope = file ? `among the runs of ${displayPath(file)}` : `in the cache ${displayPath(cacheDir)}`;
    const a = resolveRunRef(refA, runs, scope);
    const b = resolveRunRef(refB, runs, scope);
    const d = diffRuns(a, b);
    if (values.json) {
      env.stdout.write(JSON.stringify(d, null, 2) + '\n');
      return 0;
    }
    env.stdout.write(diffText(d, values.all === true, streamWidth(env.stdout)) + '\n');
    return 0;
  },
};

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A run's line; its file name and sweep label (param values) may hold control characters: shown escaped. */
function runLine(tag: string, m: RunMeta): string {
  return escapeControls(`${tag}: ${m.shortId}  ${localTime(m.startedAt)}  ${m.status}  ${formatDuration(m.durationMs)}  ${displayPath(m.pipeline)}${m.label ? `  [${m.label}]` : ''}  (${m.runId})`);
}

function signed(n: number): string {
  const s = formatCell(n);
  return n > 0 ? `+${s}` : s;
}

/** A relative change as a signed percentage: one decimal, or two significant digits below 0.1%. */
function percent(r: number): string {
  const p = r * 100;
  const text = p === 0 ? '0' : Math.abs(p) < 0.1 ? String(Number(p.toPrecision(2))) : p.toFixed(1);
  return `${p > 0 ? '+' : ''}${text}%`;
}

function stepCell(s: StepDiff['a']): string {
  if (!s) return '–';
  const what = s.status === 'ran' && s.shared ? 'shared' : s.status;
  return s.status === 'skipped' ? what : `${what} ${formatDuration(s.durationMs)}`;
}

/** The comparison as text: sections for params, metrics, outputs and steps. */
export function diffText(d: RunDiff, all: boolean, width: number): string {
  const out: string[] = [runLine('a', d.a), runLine('b', d.b)];
  const section = <T extends { change: string }>(title: string, items: T[], header: string[], row: (x: T) => string[]) => {
    const shown = all ? items : items.filter((x) => x.change !== 'same');
    const same = items.length - items.filter((x) => x.change !== 'same').length;
    const tail = same && !all ? ` (${same} the same; --all lists them)` : '';
    if (shown.length === 0) {
      out.push('', `${title}: ${items.length ? 'all the same' : 'none'}${items.length ? ` (${items.length})` : ''}`);
      return;
    }
    out.push('', `${title}: ${items.filter((x) => x.change !== 'same').length} differ${tail}`, table(header, shown.map(row), width));
  };
  section('params', d.params, ['param', 'a', 'b', ''], (p) => [p.name, 'a' in p ? formatParamCell(p.a) : '–', 'b' in p ? formatParamCell(p.b) : '–', p.change === 'same' ? '' : p.change]);
  section('metrics', d.metrics, ['metric', 'a', 'b', 'b − a', '%'], (m) => [
    m.name,
    'a' in m ? formatCell(m.a) : '–',
    'b' in m ? formatCell(m.b) : '–',
    m.delta !== undefined ? signed(m.delta) : '',
    m.relative !== undefined ? percent(m.relative) : '',
  ]);
  section('outputs', d.outputs, ['output', 'a', 'b', '', 'file'], (o) => [
    o.name,
    o.a ? `${shortHash(o.a.digest)} ${formatBytes(o.a.size)}` : '–',
    o.b ? `${shortHash(o.b.digest)} ${formatBytes(o.b.size)}` : '–',
    o.change,
    [...new Set([o.a?.path, o.b?.path].filter((p): p is string => p !== undefined).map((p) => displayPath(p)))].join(' → '),
  ]);
  const keyChanged = d.steps.filter((s) => s.key !== 'same').length;
  out.push(
    '',
    `steps: ${keyChanged} with a different key (what they compute from changed)`,
    table(['step', 'a', 'b', 'key'], d.steps.map((s) => [s.id, stepCell(s.a), stepCell(s.b), s.key === 'same' ? 'same' : s.key === 'changed' ? `changed (${shortHash(s.a!.key)} → ${shortHash(s.b!.key)})` : s.key]), width),
  );
  return out.join('\n');
}
