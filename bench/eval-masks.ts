/**
 * Benchmark of LVIS mask AP (the `evaluate` step with iou_type segm) against the real LVIS API
 * (lvis-api's LVISEval(gt, results, "segm") with pycocotools), in the same run (issue 25):
 *   - 3,000 synthetic val images (LVIS-like polygons) with ~184k RLE detection masks, as
 *     detectron2 writes them: wall time and peak RSS of each, their ratios (targets: at least
 *     50× faster, at most 1/4 of the API's memory), and the largest difference of the 13 metrics;
 *   - the full-scale synthetic val (19,809 images) with 1.2M RLE detections: peak RSS (target:
 *     at most 1 GB) and time; the API, which needs ~20 GB there, only with --api-val.
 * The data is made once into bench/data-masks/ (lvis-pipe synth --masks; ~1.5 minutes): the
 * 3,000-image val and its predictions, and predictions with masks for bench/data's val.
 * Each measurement runs in a fresh process: evaluateFiles() and the JSON file, what the step
 * runs; the API's process loads both files and runs LVISEval, as its users do.
 *
 * The API needs Python with numpy and pycocotools (`pip install numpy pycocotools`) and
 * lvis-api's source (github.com/lvis-dataset/lvis-api, commit 7d7f07d: its lvis/ folder):
 *   LVIS_API=/path/to/lvis-api/lvis PYTHON=python3 node dist/bench/eval-masks.js [--repeats N] [--api-huge-pages] [--api-val]
 * (N lvis-pipe runs before the API's run and N after it; the median of all is reported. Where
 * glibc's huge pages can help (huge-pages.ts), as many runs again with them, reported apart;
 * with --api-huge-pages the API runs a second time with them too. With --api-val the API is
 * also run on the val-sized case: about 10 minutes and 20 GB of memory.)
 * Without them the run says so and measures lvis-pipe alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import { evaluationJson } from '../src/lvis/eval/evaluation-json.js';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import type { SynthOptions } from '../src/lvis/synth/synth.js';
import { HUGE_PAGES_TUNABLE, hugePagesEnv, hugePagesUnavailable } from './huge-pages-env.js';
// (The data makers are imported where the data is made: the timed child process loads only what the step does.)

export const MASK_DATA_DIR = fileURLToPath(new URL('../../bench/data-masks/', import.meta.url));
const SMALL: SynthOptions = { seed: 3, trainImages: 15_170, valImages: 3000, preds: true, gzip: false, polygonDetail: 1, masks: true };
const TARGET_SPEEDUP = 50;
const TARGET_MEMORY_SHARE = 0.25;
const TARGET_VAL_RSS_MB = 1024;

interface Measured {
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  metrics: Record<string, number>;
  detections: number;
  images: number;
}

// ---------------------------------------------------------------------------------------------
// Data

interface MaskData {
  smallGt: string;
  smallPreds: string;
  fullGt: string;
  fullPreds: string;
}

export async function ensureMaskData(log: (line: string) => void): Promise<MaskData> {
  const { ensureFullScaleData, FULL_SCALE_OPTIONS } = await import('./make-data.js');
  const { SYNTH_GENERATOR_VERSION } = await import('../src/lvis/synth/model.js');
  const { generateSynthLvis, synthFileNames, writeSynthPredictions } = await import('../src/lvis/synth/synth.js');
  const full = await ensureFullScaleData(log);
  const names = synthFileNames(false);
  const small = path.join(MASK_DATA_DIR, 'val3k');
  const data: MaskData = { smallGt: path.join(small, names.val), smallPreds: path.join(small, names.preds), fullGt: full.val, fullPreds: path.join(MASK_DATA_DIR, 'preds_val_synth_masks.json') };
  const stampFile = path.join(MASK_DATA_DIR, 'stamp.json');
  const stamp = JSON.stringify({ generator: SYNTH_GENERATOR_VERSION, small: SMALL, full: { ...FULL_SCALE_OPTIONS, masks: true }, fullGtBytes: statSync(full.val).size });
  const fresh = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && [data.smallGt, data.smallPreds, data.fullPreds].every((f) => existsSync(f));
  if (fresh) return data;
  log(`eval-masks: making the mask data in ${MASK_DATA_DIR} (about a minute and a half)…`);
  mkdirSync(small, { recursive: true });
  const train = path.join(small, names.train);
  await generateSynthLvis(SMALL, { train, val: data.smallGt, preds: data.smallPreds });
  rmSync(train, { force: true }); // only the val and its predictions are used
  await writeSynthPredictions({ ...FULL_SCALE_OPTIONS, masks: true }, data.fullPreds);
  writeFileSync(stampFile, stamp);
  return data;
}

// ---------------------------------------------------------------------------------------------
// lvis-pipe: one evaluation in a fresh process (this file with --child)

async function child(gt: string, preds: string, out: string): Promise<Measured> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await evaluateFiles(gt, preds, { iouType: 'segm' });
  await writeFile(out, evaluationJson(r));
  const cpu = process.cpuUsage(c0);
  return {
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    metrics: r.evaluations[0]!.metrics!,
    detections: r.detections,
    images: r.gt.images,
  };
}

/** One evaluation in a fresh node process; `seconds` is the whole process's wall time, start-up included, as for the API's. */
function runOurs(gt: string, preds: string, work: string, huge = false): Measured {
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [self, '--child', gt, preds, path.join(work, 'eval.json')], { encoding: 'utf8', maxBuffer: 1 << 20, env: hugePagesEnv(huge) });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`eval-masks child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured), seconds };
}

// ---------------------------------------------------------------------------------------------
// The LVIS API

const API_SCRIPT = `
import importlib, json, os, resource, sys, types
pkg = types.ModuleType("lvis"); pkg.__path__ = [os.path.abspath(sys.argv[1])]; sys.modules["lvis"] = pkg
LVIS = importlib.import_module("lvis.lvis").LVIS
LVISEval = importlib.import_module("lvis.eval").LVISEval
e = LVISEval(LVIS(sys.argv[2]), sys.argv[3], "segm")
e.run()
u = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"cpuSeconds": u.ru_utime + u.ru_stime, "peakRssMB": u.ru_maxrss / 1024, "metrics": {k: float(v) for k, v in e.results.items()}}))
`;

interface Api {
  python: string;
  lvisApi: string;
}

/** The API's interpreter and source folder, or why they are not there. */
function findApi(args: string[]): Api | string {
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const python = flag('--python') ?? process.env.PYTHON ?? 'python3';
  const lvisApi = flag('--lvis-api') ?? process.env.LVIS_API;
  if (!lvisApi) return 'no lvis-api source given (LVIS_API=/path/to/lvis-api/lvis or --lvis-api)';
  if (!existsSync(path.join(lvisApi, 'eval.py'))) return `${lvisApi} has no eval.py (give lvis-api's lvis/ folder)`;
  const check = spawnSync(python, ['-c', 'import numpy, pycocotools.mask'], { encoding: 'utf8' });
  if (check.status !== 0) return `${python} cannot import numpy and pycocotools (pip install numpy pycocotools)`;
  return { python, lvisApi };
}

function runApi(api: Api, gt: string, preds: string, huge = false): Measured {
  const t0 = performance.now();
  const r = spawnSync(api.python, ['-c', API_SCRIPT, api.lvisApi, gt, preds], { encoding: 'utf8', maxBuffer: 1 << 20, env: hugePagesEnv(huge) });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`lvis-api failed: ${r.stderr.slice(-2000)}`);
  const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cpuSeconds: number; peakRssMB: number; metrics: Record<string, number> };
  return { ...m, seconds, detections: NaN, images: NaN };
}

// ---------------------------------------------------------------------------------------------

const median = <T extends { seconds: number }>(xs: T[]): T => [...xs].sort((a, b) => a.seconds - b.seconds)[Math.floor(xs.length / 2)]!;

export async function benchEvalMasks(args: string[], log: (line: string) => void): Promise<string> {
  const repeatsAt = args.indexOf('--repeats');
  const repeats = repeatsAt >= 0 ? Number(args[repeatsAt + 1]) : 3;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`eval-masks: --repeats needs a whole number ≥ 1, got ${args[repeatsAt + 1]}`);
  const data = await ensureMaskData(log);
  const api = findApi(args);
  const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-masks-'));
  try {
    const ours: Measured[] = [];
    // With glibc's huge pages too, where they can help (huge-pages.ts; not lvis-pipe's default): alternating with the plain runs.
    const huge = hugePagesUnavailable().unavailable === undefined;
    const oursHuge: Measured[] = [];
    const measureOurs = () => {
      for (let k = 0; k < repeats; k++) {
        ours.push(runOurs(data.smallGt, data.smallPreds, work));
        log(`eval-masks: 3,000 images, lvis-pipe #${ours.length}: ${ours.at(-1)!.seconds.toFixed(2)} s, peak RSS ${ours.at(-1)!.peakRssMB.toFixed(0)} MB`);
        if (!huge) continue;
        oursHuge.push(runOurs(data.smallGt, data.smallPreds, work, true));
        log(`eval-masks: 3,000 images, lvis-pipe with huge pages #${oursHuge.length}: ${oursHuge.at(-1)!.seconds.toFixed(2)} s`);
      }
    };
    measureOurs();
    let apiRun: Measured | undefined;
    let apiHuge: Measured | undefined;
    if (typeof api === 'string') log(`eval-masks: the LVIS API is not measured: ${api}`);
    else {
      log('eval-masks: 3,000 images, lvis-api segm (a minute or two)…');
      apiRun = runApi(api, data.smallGt, data.smallPreds);
      log(`eval-masks: lvis-api: ${apiRun.seconds.toFixed(1)} s, peak RSS ${apiRun.peakRssMB.toFixed(0)} MB`);
      if (huge && args.includes('--api-huge-pages')) {
        apiHuge = runApi(api, data.smallGt, data.smallPreds, true);
        log(`eval-masks: lvis-api with huge pages: ${apiHuge.seconds.toFixed(1)} s`);
      }
      // As many runs again after the API's: the machine's speed drifts over its minute and a half (shared cores).
      measureOurs();
    }
    const val = runOurs(data.fullGt, data.fullPreds, work);
    log(`eval-masks: val-sized, lvis-pipe: ${val.seconds.toFixed(1)} s, peak RSS ${val.peakRssMB.toFixed(0)} MB`);
    let apiVal: Measured | undefined;
    if (typeof api !== 'string' && args.includes('--api-val')) {
      log('eval-masks: val-sized, lvis-api segm (about 10 minutes, ~20 GB)…');
      apiVal = runApi(api, data.fullGt, data.fullPreds);
      log(`eval-masks: val-sized, lvis-api: ${apiVal.seconds.toFixed(0)} s, peak RSS ${apiVal.peakRssMB.toFixed(0)} MB`);
    }
    const text = markdown(ours, apiRun, typeof api === 'string' ? api : undefined, { ours: val, api: apiVal }, { small: statSync(data.smallPreds).size, full: statSync(data.fullPreds).size });
    return oursHuge.length ? `${text}\n\n${hugeRows(median(oursHuge), apiRun, apiHuge)}` : text;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function markdown(runs: Measured[], api: Measured | undefined, noApi: string | undefined, valSized: { ours: Measured; api: Measured | undefined }, bytes: { small: number; full: number }): string {
  const ours = median(runs);
  const val = valSized.ours;
  const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
  const lines = [
    `3,000 synthetic val images, ${ours.detections.toLocaleString('en-US')} detections with RLE masks (${mb(bytes.small)}); wall time of each whole process (start-up, reading both files, the evaluation; lvis-pipe also writes its JSON file), median of the lvis-pipe runs (as many before the API's run as after it).`,
    '',
    '| mask AP (segm) | wall | peak RSS | AP |',
    '|---|---|---|---|',
    `| lvis-pipe \`evaluate\` | ${ours.seconds.toFixed(2)} s (CPU ${ours.cpuSeconds.toFixed(2)} s) | ${ours.peakRssMB.toFixed(0)} MB | ${ours.metrics.AP!.toFixed(4)} |`,
  ];
  if (api) {
    const speedup = api.seconds / ours.seconds;
    const share = ours.peakRssMB / api.peakRssMB;
    const diff = Math.max(...METRIC_NAMES.map((m) => Math.abs(ours.metrics[m]! - api.metrics[m]!)));
    lines.push(
      `| lvis-api 7d7f07d \`LVISEval(gt, dt, "segm")\` | ${api.seconds.toFixed(1)} s (CPU ${api.cpuSeconds.toFixed(1)} s) | ${api.peakRssMB.toFixed(0)} MB | ${api.metrics.AP!.toFixed(4)} |`,
      '',
      `**${speedup.toFixed(0)}× faster** in wall time (target ≥ ${TARGET_SPEEDUP}×: ${speedup >= TARGET_SPEEDUP ? 'met' : 'MISSED'}; ${(api.cpuSeconds / ours.cpuSeconds).toFixed(0)}× less CPU time), **1/${(1 / share).toFixed(0)} of the API's peak memory** (target ≤ 1/4: ${share <= TARGET_MEMORY_SHARE ? 'met' : 'MISSED'}); the 13 metrics differ from the API's by ${diff.toExponential(1)} at most.`,
      '',
      // The machine's speed drifts over the API's minute and more: each lvis-pipe run against the same API run shows by how much.
      `lvis-pipe's runs, in order (half before the API's run, half after): ${runs.map((r) => `${r.seconds.toFixed(2)} s`).join(', ')}: ${(api.seconds / Math.max(...runs.map((r) => r.seconds))).toFixed(0)}–${(api.seconds / Math.min(...runs.map((r) => r.seconds))).toFixed(0)}× against the API's run.`,
    );
  } else lines.push('', `The LVIS API was not measured in this run: ${noApi}.`);
  lines.push(
    '',
    `Val-sized: the full-scale synthetic val, ${val.images.toLocaleString('en-US')} images, with ${val.detections.toLocaleString('en-US')} RLE detections (${mb(bytes.full)}): ` +
      `**${val.seconds.toFixed(1)} s, peak RSS ${val.peakRssMB.toFixed(0)} MB** (target ≤ 1 GB: ${val.peakRssMB <= TARGET_VAL_RSS_MB ? 'met' : 'MISSED'}); mask AP ${val.metrics.AP!.toFixed(4)}.`,
  );
  const apiVal = valSized.api;
  if (apiVal) {
    const diff = Math.max(...METRIC_NAMES.map((m) => Math.abs(val.metrics[m]! - apiVal.metrics[m]!)));
    lines.push(
      `The API on the same files (--api-val): ${apiVal.seconds.toFixed(0)} s (CPU ${apiVal.cpuSeconds.toFixed(0)} s), peak RSS ${apiVal.peakRssMB.toFixed(0)} MB: **${(apiVal.seconds / val.seconds).toFixed(0)}× faster**, 1/${(apiVal.peakRssMB / val.peakRssMB).toFixed(0)} of its memory; the 13 metrics differ by ${diff.toExponential(1)} at most.`,
    );
  }
  return lines.join('\n');
}

/** The runs with glibc's huge pages (not lvis-pipe's default: docs/how-to/real-lvis.md), against the same API run (and the API's own with them, with --api-huge-pages). */
function hugeRows(ours: Measured, api: Measured | undefined, apiHuge: Measured | undefined): string {
  const lines = [`With \`GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}\` (a setting the user makes; the runs above are without it), in alternation with the runs above:`, '', `- lvis-pipe: ${ours.seconds.toFixed(2)} s (CPU ${ours.cpuSeconds.toFixed(2)} s), peak RSS ${ours.peakRssMB.toFixed(0)} MB`];
  if (api) lines.push(`- against the API's run above: ${(api.seconds / ours.seconds).toFixed(0)}×`);
  if (apiHuge) lines.push(`- the API with the same setting: ${apiHuge.seconds.toFixed(1)} s, peak RSS ${apiHuge.peakRssMB.toFixed(0)} MB; both sides with it: ${(apiHuge.seconds / ours.seconds).toFixed(0)}×`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') process.stdout.write(JSON.stringify(await child(args[1]!, args[2]!, args[3]!)) + '\n');
  else process.stdout.write((await benchEvalMasks(args, (line) => process.stderr.write(line + '\n'))) + '\n');
}
