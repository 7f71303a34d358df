/**
 * Benchmark of the output steps on full-scale synthetic LVIS data (bench/make-data.ts):
 *   write        a 10,000-image subset of the ~1 GB train file
 *   prune-gt     the ~200 MB val file, to the categories of that subset
 *   prune-preds  the >100 MB predictions file on val, to the same categories and images
 * Throughput is MB/s of the step's input file. In the same run, Python does the same job
 * with the standard library (what the seed's tools.py does):
 *   write:  json.load(train), keep the subset's images and annotations, json.dump(subset)
 *   prune:  json.load(file) + json.dump(the whole file), the task's reference command
 *           (pruning keeps most of the data, so this is a lower bound of prune_gt's cost)
 *
 * Also measured: the ways to read the ids of every detection that decided prune-preds' hot
 * path (see src/lvis/prune-preds-scan.ts).
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/write-prune.js [--no-python] [--repeats N]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset } from '../src/lvis/dataset/dataset.js';
import { keptCategoryIndices } from '../src/lvis/prune/kept-categories.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { readNumberField } from '../src/lvis/json/object-field.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';
import { pruneGt } from '../src/lvis/prune/prune-gt.js';
import { prunePreds } from '../src/lvis/prune/prune-preds.js';
import { scanDetectionsFast } from '../src/lvis/prune/preds-fast-scan.js';
import { SeededRandom } from '../src/lvis/sampler/random.js';
import { selectSample, writeSubset } from '../src/lvis/write/write-subset.js';
import { ensureFullScaleData } from './make-data.js';

/** The target for each of the three steps, in MB/s of input. */
export const TARGET_MB_PER_SECOND = 100;

export interface WritePruneRow {
  task: string;
  /** Input file of the step and its size. */
  input: string;
  inputBytes: number;
  outputBytes: number;
  /** Median wall time of the lvis-pipe step over the repeats, in seconds. */
  seconds: number;
  /** Median CPU time of those runs (contention inflates it much less than wall time). */
  cpuSeconds: number;
  mbPerSecond: number;
  /** Python's time for the same job (load + dump), when measured. */
  pythonSeconds?: number;
  pythonLoadSeconds?: number;
  pythonPeakMB?: number;
  /** pythonSeconds / seconds. */
  speedup?: number;
}

/** What decided prune-preds' hot path: ways to read the ids of every detection, no output. */
export interface PredsScanCandidate {
  method: string;
  seconds: number;
  cpuSeconds: number;
  mbPerSecond: number;
}

export interface WritePruneBench {
  rows: WritePruneRow[];
  candidates: PredsScanCandidate[];
  /** The rows as a Markdown table, for BENCHMARKS.md. */
  markdown: string;
}

export interface WritePruneBenchOptions {
  /** Measure the Python baseline too (default true; it takes a few minutes and ~8 GB for train). */
  python?: boolean;
  /** Runs of each lvis-pipe step; the median is reported (default 3). */
  repeats?: number;
  subsetImages?: number;
  seed?: number;
  log?: (line: string) => void;
}

const PY_DUMP = `
import json, sys, time, resource
t0 = time.perf_counter()
d = json.load(open(sys.argv[1]))
t1 = time.perf_counter()
json.dump(d, open(sys.argv[2], "w"))
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "total": t2 - t0, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

const PY_WRITE_SUBSET = `
import json, sys, time, resource
t0 = time.perf_counter()
d = json.load(open(sys.argv[1]))
t1 = time.perf_counter()
ids = set(json.load(open(sys.argv[3])))
sub = {k: v for k, v in d.items()}
sub["images"] = [im for im in d["images"] if im["id"] in ids]
sub["annotations"] = [a for a in d["annotations"] if a["image_id"] in ids]
json.dump(sub, open(sys.argv[2], "w"))
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "total": t2 - t0, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

interface PythonTiming {
  load: number;
  total: number;
  maxrss_kb: number;
}

function runPython(script: string, args: string[]): PythonTiming {
  const r = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr || r.error}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PythonTiming;
}

/** Median wall and CPU seconds (this process, all threads) over `repeats` runs. */
async function median(repeats: number, run: () => Promise<void>): Promise<{ seconds: number; cpuSeconds: number }> {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { seconds: mid(times), cpuSeconds: mid(cpu) };
}

/** `n` distinct images with annotations, drawn uniformly with a seeded generator. */
function randomSubset(ds: Dataset, n: number, seed: number): number[] {
  const candidates: number[] = [];
  for (let i = 0; i < ds.images.count; i++) if (ds.images.annOffsets[i + 1]! > ds.images.annOffsets[i]!) candidates.push(i);
  const items = Int32Array.from(candidates);
  const m = new SeededRandom(seed).drawToFront(items, items.length, n);
  return Array.from(items.subarray(0, m));
}

export async function benchWritePrune(options: WritePruneBenchOptions = {}): Promise<WritePruneBench> {
  const { python = true, repeats = 3, subsetImages = 10_000, seed = 1 } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const files = await ensureFullScaleData(log);
  const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-bench-write-'));
  const rows: WritePruneRow[] = [];
  const candidates: PredsScanCandidate[] = [];
  try {
    log('write-prune: loading train and val (not timed here: see the load benchmark)…');
    const train = (await loadDataset(files.train)).dataset;
    const val = (await loadDataset(files.val)).dataset;

    // write: a seeded 10k-image subset of train.
    const picks = randomSubset(train, subsetImages, seed);
    const sel = selectSample(train, { imageIndices: picks, imageIds: picks.map((i) => train.images.id[i]!) });
    const subsetOut = path.join(work, 'subset.json');
    const writeSeconds = await median(repeats, async () => {
      await writeSubset(train, sel, { categories: 'all', recount: true, provenance: true }, subsetOut);
    });
    rows.push(row('write (10k-image subset)', files.train, subsetOut, writeSeconds));

    // prune-gt: val to the subset's categories (ids mapped through train's categories).
    const keptIds = new Set(Array.from(keptCategoryIndices(train, sel.images), (c) => train.categories.id[c]!));
    const mask = new Uint8Array(val.categories.count);
    for (let c = 0; c < val.categories.count; c++) mask[c] = keptIds.has(val.categories.id[c]!) ? 1 : 0;
    const valOut = path.join(work, 'val_pruned.json');
    let prunedImages: Int32Array = new Int32Array(0);
    const pruneSeconds = await median(repeats, async () => {
      prunedImages = (await pruneGt(val, mask, { dropEmptyImages: false, provenance: true, listAllCategories: false }, valOut)).images;
    });
    rows.push(row('prune-gt (val)', files.val, valOut, pruneSeconds));

    // prune-preds: the predictions on val, to the same categories and the pruned GT's images.
    const predsOut = path.join(work, 'preds_pruned.json');
    const imageIds = new Set(Array.from(prunedImages, (i) => val.images.id[i]!));
    const predsSeconds = await median(repeats, async () => {
      await prunePreds(files.preds, { categoryIds: keptIds, imageIds }, predsOut);
    });
    rows.push(row('prune-preds', files.preds, predsOut, predsSeconds));

    // The hot-path candidates for prune-preds (best of `repeats`, CPU time alongside).
    const predsBytes = statSync(files.preds).size;
    const candidate = async (method: string, run: () => Promise<unknown>) => {
      let best = { seconds: Infinity, cpuSeconds: Infinity };
      for (let i = 0; i < repeats; i++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await run();
        const c = process.cpuUsage(c0);
        const seconds = (performance.now() - t0) / 1000;
        if (seconds < best.seconds) best = { seconds, cpuSeconds: (c.user + c.system) / 1e6 };
      }
      candidates.push({ method, ...best, mbPerSecond: predsBytes / 1e6 / best.seconds });
    };
    let sink = 0;
    await candidate('json-scan streamTopLevelArray, elements only', () => streamTopLevelArray(files.preds, () => void sink++));
    await candidate('streamTopLevelArray + readNumberField(image_id, category_id)', () =>
      streamTopLevelArray(files.preds, (b) => void (sink += readNumberField(b, 'image_id')! + readNumberField(b, 'category_id')!)),
    );
    await candidate('prune-preds fast scan (ids and ranges in one walk)', () =>
      scanDetectionsFast(files.preds, { categories: new Uint8Array(0), images: new Uint8Array(0) }, () => undefined),
    );

    if (python) {
      const idsFile = path.join(work, 'subset_ids.json');
      writeFileSync(idsFile, JSON.stringify(Array.from(sel.images, (i) => train.images.id[i]!)));
      const pyOut = path.join(work, 'python_out.json');
      const jobs: Array<[WritePruneRow, string, string[]]> = [
        [rows[0]!, PY_WRITE_SUBSET, [files.train, pyOut, idsFile]],
        [rows[1]!, PY_DUMP, [files.val, pyOut]],
        [rows[2]!, PY_DUMP, [files.preds, pyOut]],
      ];
      for (const [r, script, args] of jobs) {
        log(`write-prune: python3 baseline for ${r.task}…`);
        const t = runPython(script, args);
        r.pythonSeconds = t.total;
        r.pythonLoadSeconds = t.load;
        r.pythonPeakMB = t.maxrss_kb / 1024;
        r.speedup = t.total / r.seconds;
        rmSync(pyOut, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { rows, candidates, markdown: toMarkdown(rows, candidates) };
}

function row(task: string, input: string, output: string, t: { seconds: number; cpuSeconds: number }): WritePruneRow {
  const inputBytes = statSync(input).size;
  return { task, input: path.basename(input), inputBytes, outputBytes: statSync(output).size, ...t, mbPerSecond: inputBytes / 1e6 / t.seconds };
}

function toMarkdown(rows: WritePruneRow[], candidates: PredsScanCandidate[]): string {
  const mb = (b: number) => (b / 1e6).toFixed(0);
  const lines = [
    '| task | input | output | lvis-pipe wall (CPU) | MB/s of input | ≥ 100 MB/s | Python load+dump (load) | Python peak RSS | speed-up |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const py = r.pythonSeconds === undefined ? '–' : `${r.pythonSeconds.toFixed(1)} s (${r.pythonLoadSeconds!.toFixed(1)} s)`;
    const rss = r.pythonPeakMB === undefined ? '–' : `${(r.pythonPeakMB / 1024).toFixed(1)} GB`;
    const speedup = r.speedup === undefined ? '–' : `${r.speedup.toFixed(0)}×`;
    lines.push(
      `| ${r.task} | ${r.input}, ${mb(r.inputBytes)} MB | ${mb(r.outputBytes)} MB | ${r.seconds.toFixed(2)} s (${r.cpuSeconds.toFixed(2)} s) | ${r.mbPerSecond.toFixed(0)} | ${r.mbPerSecond >= TARGET_MB_PER_SECOND ? 'PASS' : 'FAIL'} | ${py} | ${rss} | ${speedup} |`,
    );
  }
  lines.push('', '| reading the ids of every detection (prune-preds hot path) | wall | CPU | MB/s |', '|---|---|---|---|');
  for (const c of candidates) lines.push(`| ${c.method} | ${c.seconds.toFixed(2)} s | ${c.cpuSeconds.toFixed(2)} s | ${c.mbPerSecond.toFixed(0)} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const repeatsAt = args.indexOf('--repeats');
  const result = await benchWritePrune({
    python: !args.includes('--no-python'),
    ...(repeatsAt >= 0 ? { repeats: Number(args[repeatsAt + 1]) } : {}),
  });
  process.stdout.write(result.markdown + '\n');
}
