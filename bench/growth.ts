/**
 * Growth curve (issue 17, point 4): how the default pipeline's time and peak RSS grow with the
 * train set, at 25k, 100k, 400k and 1M synthetic train images (the project's generator, seed 1,
 * the full-scale val/preds at every scale, so only train varies).
 *
 * Per scale, each a child process like a user's:
 *   1. a cold `lvis-pipe run pipelines/mini-lvis.yaml --json` in a fresh cache folder, timed with
 *      /usr/bin/time (wall time, peak RSS); each step's time from its run-finish event;
 *   2. for each step, `run --only STEP --force STEP` on that warm cache: the step alone, its
 *      inputs decoded from the cache; that process's peak RSS is the step's.
 * total_images is a fixed 10,000 at every scale (--total-images): the pipeline draws a
 * fixed-size mini set from a larger set, so n, the train set, is the one variable; 10% of n
 * would also grow the sample, write and prune work with n and mix two growths in one exponent.
 *
 * The data (~10 GB at 1M) lives outside the repository, in --data-dir (default
 * /tmp/growth-data); the 100,170-image train is bench/data's. Results are kept per scale in
 * <data-dir>/growth-results.json, so a scale measured once is not measured again with --reuse,
 * and --report-only redraws the table and chart from it.
 *
 * Opt-in (the first time about 8 minutes to generate ~14 GB of train files, then about 2.5
 * minutes of measurements on 2 cores): `npm run bench -- --only growth`, or alone:
 *   node dist/bench/growth.js [--scales 25000,100170,400000,1000000] [--total-images 10000]
 *     [--data-dir /tmp/growth-data] [--full-data DIR] [--reuse] [--report-only] [--no-docs]
 * --full-data: a folder holding bench/make-data.ts's three files (default: bench/data/, made if
 * missing). Unless --no-docs, the chart goes to docs/img/growth.{svg,png}.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSynthLvis, synthFileNames } from '../src/lvis/synth/synth.js';
import { LVIS_V1_TRAIN_IMAGES, LVIS_V1_VAL_IMAGES } from '../src/lvis/dataset/lvis-categories.js';
import { growthMarkdown, writeGrowthChart, type ProcessCost, type ScaleResult, type StepCost } from './growth-report.js';
import { ensureFullScaleData, FULL_SCALE_OPTIONS, type FullScaleData } from './make-data.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(ROOT, 'bin/lvis-pipe.js');
const PIPELINE = path.join(ROOT, 'pipelines/mini-lvis.yaml');
const DEFAULT_SCALES = [25_000, LVIS_V1_TRAIN_IMAGES, 400_000, 1_000_000];

const log = (line: string) => process.stderr.write(`[growth ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Measured extends ProcessCost {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node CLI args` under /usr/bin/time; its last stderr line is "wall maxrssKB". */
function measure(args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '@@time %e %M', process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const m = /@@time ([\d.]+) (\d+)\s*$/.exec(stderr);
      if (!m) return reject(new Error(`no /usr/bin/time line in: ${stderr.slice(-2000)}`));
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr, wallSeconds: Number(m[1]), peakRssBytes: Number(m[2]) * 1024 });
    });
  });
}

interface FinishEvent {
  type: 'run-finish';
  status: string;
  durationMs: number;
  steps: { id: string; status: string; durationMs: number }[];
}

function runFinish(stdout: string): FinishEvent {
  for (const line of stdout.split('\n').reverse()) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { type?: string };
    if (e.type === 'run-finish') return e as FinishEvent;
  }
  throw new Error(`no run-finish event in the output:\n${stdout.slice(-2000)}`);
}

/** The train file of `images` images: bench/data's at full scale, else made in dataDir. */
async function trainFile(images: number, dataDir: string, full: FullScaleData): Promise<string> {
  if (images === FULL_SCALE_OPTIONS.trainImages) return full.train;
  const file = path.join(dataDir, `train_${images}.json`);
  if (existsSync(file)) return file;
  log(`making ${images.toLocaleString('en-US')} train images in ${file}…`);
  const t0 = performance.now();
  // Val is planned as at full scale (its image ids are kept out of train's) but not written.
  const opts = { ...FULL_SCALE_OPTIONS, trainImages: images, valImages: LVIS_V1_VAL_IMAGES, preds: false };
  await generateSynthLvis(opts, { train: `${file}.partial` });
  await rename(`${file}.partial`, file);
  log(`  made in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return file;
}

async function fullData(dir: string | undefined): Promise<FullScaleData> {
  if (!dir) return ensureFullScaleData(log);
  const names = synthFileNames(false);
  return { train: path.join(dir, names.train), val: path.join(dir, names.val), preds: path.join(dir, names.preds) };
}

async function measureScale(images: number, totalImages: number, dataDir: string, full: FullScaleData): Promise<ScaleResult> {
  const train = await trainFile(images, dataDir, full);
  const work = await mkdtemp(path.join(dataDir, `run-${images}-`));
  const loadAverage = loadavg().map((l) => Math.round(l * 100) / 100);
  const common = [
    '--json',
    '--cache-dir',
    path.join(work, 'cache'),
    ...['train_json=' + train, 'val_json=' + full.val, 'preds_json=' + full.preds, 'out_dir=' + path.join(work, 'out'), `total_images=${totalImages}`].flatMap((s) => ['--set', s]),
  ];
  try {
    log(`${images}: cold run (load average ${loadAverage.join(' ')})…`);
    const cold = await measure(['run', PIPELINE, ...common]);
    if (cold.code !== 0) throw new Error(`cold run at ${images} exited ${cold.code}: ${cold.stderr.slice(-3000)}`);
    const finish = runFinish(cold.stdout);
    log(`  ${cold.wallSeconds} s, ${(cold.peakRssBytes / 2 ** 20).toFixed(0)} MB`);
    const steps: StepCost[] = [];
    for (const s of finish.steps) {
      const alone = await measure(['run', PIPELINE, ...common, '--only', s.id, '--force', s.id]);
      if (alone.code !== 0) throw new Error(`run --only ${s.id} at ${images} exited ${alone.code}: ${alone.stderr.slice(-3000)}`);
      const own = runFinish(alone.stdout).steps.find((x) => x.id === s.id);
      if (!own || own.status !== 'ran') throw new Error(`run --only ${s.id}: the step did not run (${own?.status ?? 'absent'})`);
      steps.push({
        id: s.id,
        coldSeconds: s.durationMs / 1000,
        aloneSeconds: own.durationMs / 1000,
        aloneProcess: { wallSeconds: alone.wallSeconds, peakRssBytes: alone.peakRssBytes },
      });
      log(`  ${s.id}: cold ${(s.durationMs / 1000).toFixed(2)} s, alone ${(own.durationMs / 1000).toFixed(2)} s, ${(alone.peakRssBytes / 2 ** 20).toFixed(0)} MB`);
    }
    return {
      images,
      trainBytes: (await stat(train)).size,
      totalImages,
      cold: { wallSeconds: cold.wallSeconds, peakRssBytes: cold.peakRssBytes },
      coldRunSeconds: finish.durationMs / 1000,
      steps,
      loadAverage,
      finishedAt: new Date().toISOString(),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scales: { type: 'string' },
      'total-images': { type: 'string', default: '10000' },
      'data-dir': { type: 'string', default: '/tmp/growth-data' },
      'full-data': { type: 'string' },
      reuse: { type: 'boolean', default: false },
      'report-only': { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
    },
  });
  const scales = values.scales ? values.scales.split(',').map(Number) : DEFAULT_SCALES;
  const totalImages = Number(values['total-images']);
  if (scales.some((n) => !Number.isInteger(n) || n < totalImages) || !Number.isInteger(totalImages)) {
    log(`--scales must be integers ≥ --total-images (${totalImages})`);
    return 2;
  }
  const dataDir = path.resolve(values['data-dir']!);
  await mkdir(dataDir, { recursive: true });
  const resultsFile = path.join(dataDir, 'growth-results.json');
  const saved: ScaleResult[] = existsSync(resultsFile) ? (JSON.parse(await readFile(resultsFile, 'utf8')) as ScaleResult[]) : [];
  const keep = (r: ScaleResult) => scales.includes(r.images) && r.totalImages === totalImages;
  let results = saved.filter(keep);
  if (!values['report-only']) {
    const full = await fullData(values['full-data']);
    for (const n of scales) {
      if (values.reuse && results.some((r) => r.images === n)) continue;
      const r = await measureScale(n, totalImages, dataDir, full);
      results = [...results.filter((x) => x.images !== n), r];
      const all = [...saved.filter((x) => !keep(x) || !results.some((y) => y.images === x.images && y.totalImages === x.totalImages)), ...results];
      await writeFile(resultsFile, JSON.stringify(all, null, 2) + '\n');
    }
  }
  results.sort((a, b) => a.images - b.images);
  if (!results.length) {
    log(`no results for these scales in ${resultsFile}`);
    return 1;
  }
  process.stdout.write(growthMarkdown(results));
  if (!values['no-docs']) {
    const files = await writeGrowthChart(results, path.join(ROOT, 'docs/img/growth'));
    log(`chart: ${files.map((f) => path.relative(ROOT, f)).join(', ')}`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
