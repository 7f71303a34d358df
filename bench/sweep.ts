/**
 * A sweep against separate runs, on full-scale synthetic LVIS (bench/make-data.ts: the ~1 GB
 * train file, 100,170 images, 1.27M annotations).
 *
 * The pipeline: load → stats → target-mix(alpha) → histograms → quotas → greedy-sample
 * (total_images, pool, lambda_tier) → write. The sweep: alpha ∈ {0.4, 0.6, 0.8} × lambda_tier
 * ∈ {0.5, 2}, six sampler variants, `lvis-pipe sweep --jobs 2`. It should cost one load, one
 * stats/histograms/quotas build, three target mixes, and six samples and writes; the six
 * samplers run two at a time in worker threads.
 *
 * The baseline, measured in the same run: the six variants as six separate `lvis-pipe run
 * --jobs 2` with the same params, each with a fresh cache folder (so each hashes and loads
 * the 1 GB file and builds everything), one after the other.
 *
 * Checked, not only timed: the sweep's run records hold exactly one execution of load, stats,
 * histograms and quotas, three of target-mix and six of greedy-sample and write; each
 * variant's subset file is byte-identical to the separate run's with the same params.
 *
 * Each command is a child process, like a user's, timed for wall and CPU time (user + system
 * of all its threads: CPU/wall above 1 means more than one core was busy).
 *
 * Sizes: 10,000-image subsets, greedy pool 256 (about 5 s per sample at full scale on this
 * machine), so the whole benchmark takes about 3 minutes on 2 cores.
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/sweep.js [--images N] [--pool N]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type HistoryRecord } from '../src/runner/cache/records.js';
import { type RunRecord } from '../src/runner/cache/records.js';
import type { SweepReport } from '../src/runner/sweep/report.js';
import { ensureFullScaleData } from './make-data.js';

export interface SweepBenchOptions {
  /** Subset size (default 10,000). */
  images?: number;
  /** Greedy candidate pool (default 256). */
  pool?: number;
  log?: (line: string) => void;
}

export interface TimedCommand {
  wallSeconds: number;
  cpuSeconds: number;
}

export interface SweepBenchResult {
  images: number;
  pool: number;
  variants: number;
  sweep: TimedCommand;
  /** The six separate runs, summed. */
  separate: TimedCommand;
  /** separate wall / sweep wall. */
  speedup: number;
  /** Executions per step in the sweep's run records. */
  executions: Record<string, number>;
  /** Mean time of one execution of each step in the sweep (from its history records). */
  stepSeconds: Record<string, number>;
  markdown: string;
}

const CLI = fileURLToPath(new URL('../../bin/lvis-pipe.js', import.meta.url));
// Preloaded with --import, which worker threads inherit: only the main thread reports, at the
// process's exit, the CPU time of all its threads (getrusage of the process).
const CPU_REPORTER =
  'data:text/javascript,' +
  encodeURIComponent("import{isMainThread}from'node:worker_threads';if(isMainThread)process.on('exit',()=>{const u=process.cpuUsage();process.stderr.write('cpu-us '+(u.user+u.system)+'\\n')})");

const GRID = { alpha: [0.4, 0.6, 0.8], lambda_tier: [0.5, 2] };
const JOBS = 2;

function pipelineYaml(train: string, images: number, pool: number): string {
  return `params:
  train: ${JSON.stringify(train)}
  total_images: ${images}
  pool: ${pool}
  alpha: 0.6
  lambda_tier: 1
steps:
  load: { type: load, options: { path: "\${params.train}" } }
  stats: { type: stats, inputs: { dataset: load } }
  mix: { type: target-mix, inputs: { stats: stats }, options: { alpha: "\${params.alpha}" } }
  histograms: { type: histograms, inputs: { dataset: load } }
  quotas: { type: quotas, inputs: { dataset: load } }
  sample:
    type: greedy-sample
    inputs: { dataset: load, histograms: histograms, mix: mix, quotas: quotas }
    options: { total_images: "\${params.total_images}", pool: "\${params.pool}", lambda_tier: "\${params.lambda_tier}" }
  subset: { type: write, inputs: { dataset: load, sample: sample.sample }, options: { out: out/mini.json } }
sweep:
  grid: { alpha: ${JSON.stringify(GRID.alpha)}, lambda_tier: ${JSON.stringify(GRID.lambda_tier)} }
  sort_by: js_divergence
`;
}

/** Runs the CLI as a child process; wall time, and its CPU time as it reports at exit. */
function timed(args: string[], cwd: string): TimedCommand & { stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--import', CPU_REPORTER, CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' }, maxBuffer: 64 << 20 });
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`lvis-pipe ${args.join(' ')} failed (${r.status}):\n${r.stderr.toString()}\n${r.stdout.toString().slice(-4000)}`);
  const all = [...r.stderr.toString().matchAll(/cpu-us (\d+)/g)];
  if (all.length !== 1) throw new Error(`expected one CPU time report from lvis-pipe ${args.join(' ')}, got ${all.length}`);
  const m = all[0]!;
  return { wallSeconds, cpuSeconds: m ? Number(m[1]) / 1e6 : NaN, stdout: r.stdout.toString() };
}

function readJsonDir<T>(dir: string): T[] {
  return readdirSync(dir).flatMap((sub) => {
    const p = path.join(dir, sub);
    return sub.endsWith('.json') ? [JSON.parse(readFileSync(p, 'utf8')) as T] : readdirSync(p).map((n) => JSON.parse(readFileSync(path.join(p, n), 'utf8')) as T);
  });
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export async function benchSweep(options: SweepBenchOptions = {}): Promise<SweepBenchResult> {
  const images = options.images ?? 10_000;
  const pool = options.pool ?? 256;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const { train } = await ensureFullScaleData(log);
  const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-sweep-'));
  try {
    writeFileSync(path.join(work, 'p.yaml'), pipelineYaml(train, images, pool));
    // Both sides read the file from the page cache: read it once before timing anything.
    for await (const _ of createReadStream(train, { highWaterMark: 1 << 22 })) void _;

    log(`sweep: ${GRID.alpha.length * GRID.lambda_tier.length} variants through one cache (--jobs ${JOBS})…`);
    const sweepCache = path.join(work, 'sweep-cache');
    const sw = timed(['sweep', 'p.yaml', '--jobs', String(JOBS), '--json', '--no-chart', '--cache-dir', sweepCache], work);
    const fin = sw.stdout
      .split('\n')
      .filter((l) => l.includes('"sweep-finish"'))
      .map((l) => JSON.parse(l) as { result: SweepReport })[0];
    if (!fin) throw new Error('the sweep printed no sweep-finish event');
    const report = fin.result;
    if (report.status !== 'ok') throw new Error(`the sweep failed: ${report.variants.map((v) => `${v.name} ${v.status} ${v.error ?? ''}`).join('; ')}`);

    // What ran, from the run records: each key executed once.
    const records = readJsonDir<RunRecord>(path.join(sweepCache, 'runs'));
    const executions: Record<string, number> = {};
    for (const r of records) if (!r.reusedFrom) executions[r.stepId] = (executions[r.stepId] ?? 0) + 1; // reused by early cutoff: not an execution
    const expected = { load: 1, stats: 1, histograms: 1, quotas: 1, mix: GRID.alpha.length, sample: report.variants.length, subset: report.variants.length };
    for (const [step, n] of Object.entries(expected)) {
      if (executions[step] !== n) throw new Error(`the sweep executed ${step} ${executions[step] ?? 0} times, expected ${n}`);
    }
    const history = readJsonDir<HistoryRecord>(path.join(sweepCache, 'history'));
    const stepSeconds: Record<string, number> = {};
    for (const step of Object.keys(expected)) {
      const ran = history.map((h) => h.steps[step]).filter((s) => s && s.status === 'ran' && !s.shared);
      stepSeconds[step] = ran.reduce((a, s) => a + s!.durationMs, 0) / ran.length / 1000;
    }

    let separate: TimedCommand = { wallSeconds: 0, cpuSeconds: 0 };
    for (const [i, v] of report.variants.entries()) {
      log(`separate run ${i + 1}/${report.variants.length} (${v.name}), fresh cache…`);
      const cache = path.join(work, `cache-${i}`);
      const sets = Object.entries(v.params).flatMap(([k, x]) => ['--set', `${k}=${x}`]);
      const r = timed(['run', 'p.yaml', '--jobs', String(JOBS), '--quiet', '--cache-dir', cache, ...sets], work);
      separate = { wallSeconds: separate.wallSeconds + r.wallSeconds, cpuSeconds: separate.cpuSeconds + r.cpuSeconds };
      // Same params, same subset: the sweep's file is byte-identical to the separate run's.
      if (sha256(path.join(work, 'out/mini.json')) !== sha256(path.join(v.folder, 'mini.json'))) {
        throw new Error(`variant ${v.name}: the sweep's subset differs from the separate run's`);
      }
      rmSync(cache, { recursive: true, force: true });
    }

    const speedup = separate.wallSeconds / sw.wallSeconds;
    const s = (x: number) => `${x.toFixed(1)} s`;
    const markdown = [
      `| | wall time | CPU time (all threads) | CPU / wall |`,
      `|---|---|---|---|`,
      `| \`lvis-pipe sweep\`, ${report.variants.length} variants, one cache | ${s(sw.wallSeconds)} | ${s(sw.cpuSeconds)} | ${(sw.cpuSeconds / sw.wallSeconds).toFixed(2)} |`,
      `| ${report.variants.length} separate \`lvis-pipe run\`s, fresh caches (sum) | ${s(separate.wallSeconds)} | ${s(separate.cpuSeconds)} | ${(separate.cpuSeconds / separate.wallSeconds).toFixed(2)} |`,
      `| **ratio** | **${speedup.toFixed(2)}× faster** | ${(separate.cpuSeconds / sw.cpuSeconds).toFixed(2)}× less CPU | |`,
      '',
      `Executions in the sweep (its run records): ${Object.entries(executions)
        .map(([k, n]) => `${k} ${n}×`)
        .join(', ')}. ` +
        `One execution: load ${s(stepSeconds.load!)}, histograms ${s(stepSeconds.histograms!)}, stats ${s(stepSeconds.stats!)}, quotas ${s(stepSeconds.quotas!)}, ` +
        `greedy-sample ${s(stepSeconds.sample!)} (mean of ${executions.sample}, in worker threads, two at once), write ${s(stepSeconds.subset!)} (mean). ` +
        `Full-scale train file (${path.basename(train)}), ${images.toLocaleString('en-US')}-image subsets, greedy pool ${pool}, grid alpha ${JSON.stringify(GRID.alpha)} × lambda_tier ${JSON.stringify(GRID.lambda_tier)}, --jobs ${JOBS}. ` +
        `Each variant's subset is byte-identical to its separate run's.`,
    ].join('\n');
    return { images, pool, variants: report.variants.length, sweep: { wallSeconds: sw.wallSeconds, cpuSeconds: sw.cpuSeconds }, separate, speedup, executions, stepSeconds, markdown };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const num = (flag: string) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : undefined;
  };
  const images = num('--images');
  const pool = num('--pool');
  const r = await benchSweep({ ...(images !== undefined ? { images } : {}), ...(pool !== undefined ? { pool } : {}) });
  process.stdout.write(r.markdown + '\n');
}
