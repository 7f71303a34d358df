/**
 * Benchmark of the `load` step on the full-scale synthetic LVIS train file (~1 GB,
 * bench/make-data.ts), against Python's `json.load` of the same file in the same run, plus the
 * measurements that decided how the hot path is written (stream-json vs a byte scan).
 *
 * Every lvis-pipe measurement runs in a fresh child process (node, this file with `--child`), so
 * that its peak RSS (process.resourceUsage().maxRSS) is the load's alone and the JIT starts cold,
 * as in a real run:
 *   load        loadDataset(train) + encoding the artifact to a cache file, as the runner does
 *   load-hash   the same, hashing the file in the same pass (what a cold run does: the runner
 *               has no digest for the file yet and takes the load's)
 *   reload      reading that cache file and decoding it (what a cached `load` costs)
 * And the whole process, as a user runs it (the issue's measure: hashing included):
 *   cold run    `lvis-pipe run pipelines/mini-lvis.yaml --only train` on an empty cache folder,
 *               under /usr/bin/time (wall, peak RSS of the process and its threads)
 * Python: `python3 -c 'import json; json.load(open(F))'` under `/usr/bin/time -f '%e %M'`.
 *
 * Hot-path measurements, on the first ~50 MB of the annotations (a valid JSON array cut from
 * the train file at a record boundary): stream-json's tokenizer alone, stream-json assembling
 * each annotation object (streamArray), a plain byte loop tracking depth and strings,
 * json-scan's element scan, the loader's record scan, and V8's JSON.parse.
 *
 * Exported for bench/run.ts (`npm run bench`); also runs alone:
 *   node dist/bench/load.js [--no-python] [--repeats N]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, readSync, closeSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodeDataset, encodeDataset } from '../src/lvis/dataset/codec.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { scanFile } from '../src/lvis/load/scan.js';
import { ensureFullScaleData } from './make-data.js';

export interface LoadBenchOptions {
  /** Measure Python's json.load too (default true; ~1–2 minutes and ~7 GB of memory). */
  python?: boolean;
  /** Child runs of each lvis-pipe measurement; the median is reported (default 3). */
  repeats?: number;
  /** Bytes of annotations for the hot-path comparison (default 50 MB). */
  sampleBytes?: number;
  log?: (line: string) => void;
}

export interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  encodeSeconds?: number;
  artifactMB?: number;
  counts?: { images: number; annotations: number; categories: number };
  /** Threads the load's scan ran on. */
  threads?: number;
}

export interface LoadBench {
  file: string;
  fileMB: number;
  /** Median of the repeats: the default (adaptive), one thread, two threads, hashing in the pass. */
  load: ChildResult;
  loadHash: ChildResult;
  /** The whole `run --only train` process on an empty cache. */
  coldRun: { seconds: number; peakRssMB: number };
  loadOneThread: ChildResult;
  loadTwoThreads: ChildResult;
  reload: ChildResult;
  python?: { seconds: number; peakRssMB: number };
  /** Python seconds / lvis-pipe seconds (wall). */
  speedup?: number;
  hotPath: { method: string; mbPerSecond: number; note: string }[];
  sampleMB: number;
  markdown: string;
}

// ---------------------------------------------------------------------------------------------
// Child process: one measurement, printed as JSON.

async function child(mode: string, file: string, cache: string): Promise<ChildResult> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (mode === 'reload') {
    const bytes = await readFile(cache);
    const ds = decodeDataset(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    return {
      seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      counts: { images: ds.images.count, annotations: ds.annotations.count, categories: ds.categories.count },
    };
  }
  const parallel = mode === 'load' || mode === 'load-hash' ? undefined : mode === 'load-two-threads';
  const { dataset: ds, threads, sha256 } = await loadDataset(file, { parallel, hash: mode === 'load-hash' });
  if (mode === 'load-hash' && !sha256) throw new Error('load-hash: no digest');
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const t1 = performance.now();
  const bytes = encodeDataset(ds);
  await writeFile(cache, bytes);
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    encodeSeconds: (performance.now() - t1) / 1000,
    artifactMB: bytes.byteLength / 1e6,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    counts: { images: ds.images.count, annotations: ds.annotations.count, categories: ds.categories.count },
    threads,
  };
}

function runChild(mode: string, file: string, cache: string): ChildResult {
  const self = new URL(import.meta.url).pathname;
  const r = spawnSync(process.execPath, [self, '--child', mode, file, cache], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`load bench child (${mode}) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

/** The CLI's cold `run --only train` on `train`, in a fresh cache folder: wall seconds and peak RSS. */
function coldRun(train: string, work: string): { seconds: number; peakRssMB: number } {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
  const cacheDir = path.join(work, 'cold-cache');
  rmSync(cacheDir, { recursive: true, force: true });
  const args = ['-f', '%e %M', process.execPath, path.join(root, 'bin/lvis-pipe.js'), 'run', path.join(root, 'pipelines/mini-lvis.yaml')];
  args.push('--cache-dir', cacheDir, '--set', `train_json=${train}`, '--set', `out_dir=${path.join(work, 'out')}`, '--only', 'train', '--quiet');
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cold run failed: ${r.stderr}`);
  const [secs, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  rmSync(cacheDir, { recursive: true, force: true });
  return { seconds: secs!, peakRssMB: kb! / 1024 };
}

function median(results: ChildResult[]): ChildResult {
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ---------------------------------------------------------------------------------------------
// Hot-path candidates on a sample of the annotations

/** The first ~`bytes` of the train file's annotations, as a JSON array file cut at a record boundary. */
function annotationSample(train: string, bytes: number, dir: string): string {
  const fd = openSync(train, 'r');
  try {
    const head = Buffer.alloc(1 << 20);
    let start = -1;
    for (let pos = 0; start < 0; pos += head.length - 32) {
      const n = readSync(fd, head, 0, head.length, pos);
      if (n === 0) throw new Error('no "annotations" array in the train file');
      const k = head.subarray(0, n).indexOf('"annotations": [');
      if (k >= 0) start = pos + k + '"annotations": '.length;
    }
    const buf = Buffer.alloc(bytes);
    const n = readSync(fd, buf, 0, bytes, start);
    const cut = buf.subarray(0, n).lastIndexOf('}, {"');
    const out = path.join(dir, 'annotations-sample.json');
    writeFileSync(out, Buffer.concat([buf.subarray(0, cut + 1), Buffer.from(']')]));
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Wall seconds of fn: the best of `runs` (the first run pays for the JIT's warm-up). */
async function timeIt(fn: () => Promise<unknown> | unknown, runs = 1): Promise<number> {
  let best = Infinity;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

async function hotPath(sample: string): Promise<LoadBench['hotPath']> {
  const mb = statSync(sample).size / 1e6;
  const rows: LoadBench['hotPath'] = [];
  const add = (method: string, seconds: number, note: string) => rows.push({ method, mbPerSecond: mb / seconds, note });

  // stream-json's own Node-stream shapes (no direct dependency on stream-chain).
  const { parser } = await import('stream-json');
  const { streamArray } = await import('stream-json/streamers/stream-array.js');
  const drain = (stream: NodeJS.ReadWriteStream) =>
    new Promise<number>((resolve, reject) => {
      let n = 0;
      createReadStream(sample).on('error', reject).pipe(stream);
      stream.on('data', () => void n++);
      stream.on('end', () => resolve(n));
      stream.on('error', reject);
    });
  add('stream-json: tokens only', await timeIt(() => drain(parser.asStream())), 'parser(), counting tokens; no objects built');
  add(
    'stream-json: assembling each annotation',
    await timeIt(() => drain(streamArray.withParserAsStream())),
    'parser() + streamArray(): one JS object per annotation',
  );
  add(
    'plain byte loop',
    await timeIt(() => {
      const buf = readFileSync(sample);
      let depth = 0;
      let inString = false;
      let records = 0;
      for (let i = 0; i < buf.length; i++) {
        const c = buf[i]!;
        if (inString) {
          if (c === 0x5c) i++;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) inString = true;
        else if (c === 0x5b || c === 0x7b) depth++;
        else if (c === 0x5d || c === 0x7d) {
          depth--;
          if (depth === 1) records++;
        }
      }
      return records;
    }, 3),
    'depth and strings only, every byte visited in JS',
  );
  add(
    'json-scan: element boundaries',
    await timeIt(() => streamTopLevelArray(sample, () => {}), 3),
    'streamTopLevelArray: each record validated and delimited, polygons skipped with Buffer.indexOf',
  );
  const wrapped = sample.replace(/\.json$/, '-doc.json');
  writeFileSync(wrapped, Buffer.concat([Buffer.from('{"annotations": '), readFileSync(sample), Buffer.from(', "images": [], "categories": []}')]));
  add(
    'load: record scan (the hot path)',
    await timeIt(() => scanFile(wrapped, false, {}), 3),
    'id, image_id, category_id, bbox, area read per annotation; polygons skipped',
  );
  add(
    'load: record scan, strict_json',
    await timeIt(() => scanFile(wrapped, true, {}), 3),
    'the same, every byte of the polygons checked against the JSON grammar in JS',
  );
  add(
    "V8's JSON.parse",
    await timeIt(() => JSON.parse(readFileSync(sample, 'utf8')), 3),
    'whole text as one string (impossible at 1 GB: the string limit is ~512 MB)',
  );
  return rows;
}

// ---------------------------------------------------------------------------------------------

export async function benchLoad(opts: LoadBenchOptions = {}): Promise<LoadBench> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const repeats = opts.repeats ?? 3;
  const { train } = await ensureFullScaleData(log);
  const fileMB = statSync(train).size / 1e6;
  const work = mkdtempSync(path.join(tmpdir(), 'lvis-load-bench-'));
  try {
    const cache = path.join(work, 'dataset.bin');
    const runs = (mode: string) => {
      const out: ChildResult[] = [];
      for (let k = 0; k < repeats; k++) {
        out.push(runChild(mode, train, cache));
        log(`load bench: ${mode} #${k + 1}: ${out.at(-1)!.seconds.toFixed(2)} s, peak RSS ${out.at(-1)!.peakRssMB.toFixed(0)} MB`);
      }
      return median(out);
    };
    const loadOneThread = runs('load-one-thread');
    const loadTwoThreads = runs('load-two-threads');
    const load = runs('load');
    const loadHash = runs('load-hash');
    const reload = runs('reload');
    const colds: { seconds: number; peakRssMB: number }[] = [];
    for (let k = 0; k < repeats; k++) {
      colds.push(coldRun(train, work));
      log(`load bench: cold run --only train #${k + 1}: ${colds.at(-1)!.seconds.toFixed(2)} s, peak RSS ${colds.at(-1)!.peakRssMB.toFixed(0)} MB`);
    }
    const cold = [...colds].sort((a, b) => a.seconds - b.seconds)[Math.floor(colds.length / 2)]!;
    let python: LoadBench['python'];
    if (opts.python !== false) {
      log('load bench: python3 json.load of the same file (a minute or two, ~7 GB)…');
      const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'python3', '-c', 'import json, sys; json.load(open(sys.argv[1]))', train], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`python3 json.load failed: ${r.stderr}`);
      const [secs, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
      python = { seconds: secs!, peakRssMB: kb! / 1024 };
    }
    const sampleBytes = opts.sampleBytes ?? 50e6;
    log(`load bench: hot-path candidates on ${(sampleBytes / 1e6).toFixed(0)} MB of annotations (stream-json takes a while)…`);
    const sample = annotationSample(train, sampleBytes, work);
    const hot = await hotPath(sample);
    const result: LoadBench = {
      file: path.basename(train),
      fileMB,
      load,
      loadHash,
      coldRun: cold,
      loadOneThread,
      loadTwoThreads,
      reload,
      ...(python ? { python, speedup: python.seconds / load.seconds } : {}),
      hotPath: hot,
      sampleMB: statSync(sample).size / 1e6,
      markdown: '',
    };
    result.markdown = toMarkdown(result);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function toMarkdown(r: LoadBench): string {
  const s = (x: number) => `${x.toFixed(2)} s`;
  const lines = [
    `Input: \`${r.file}\`, ${r.fileMB.toFixed(0)} MB, ${r.load.counts?.images} images, ${r.load.counts?.annotations} annotations. Median of the child runs.`,
    '',
    '| what | wall | CPU (all threads) | MB/s | peak RSS | vs Python |',
    '|---|---|---|---|---|---|',
  ];
  const row = (what: string, c: ChildResult, mbps: boolean) =>
    lines.push(
      `| ${what} | ${s(c.seconds)} | ${s(c.cpuSeconds)} | ${mbps ? (r.fileMB / c.seconds).toFixed(0) : '–'} | ${c.peakRssMB.toFixed(0)} MB | ${r.python ? `${(r.python.seconds / c.seconds).toFixed(1)}× faster` : '–'} |`,
    );
  row('`load`, one thread, + encode ' + s(r.loadOneThread.encodeSeconds ?? 0) + ` to a ${r.loadOneThread.artifactMB?.toFixed(0)} MB artifact`, r.loadOneThread, true);
  row('`load`, two threads (forced)', r.loadTwoThreads, true);
  row(`\`load\`, default (two threads when a core is idle: this run used ${r.load.threads})`, r.load, true);
  row('`load` hashing the file in the same pass (one scanning thread + a hashing thread), as a cold run does', r.loadHash, true);
  row('reload from the cache file (read + decode)', r.reload, false);
  const c = r.coldRun;
  lines.push(
    `| **whole process**: cold \`lvis-pipe run pipelines/mini-lvis.yaml --only train\` (empty cache: startup, hashing, load, encode, store) | ${s(c.seconds)} | – | ${(r.fileMB / c.seconds).toFixed(0)} | ${c.peakRssMB.toFixed(0)} MB | ${r.python ? `${(r.python.seconds / c.seconds).toFixed(1)}× faster` : '–'} |`,
  );
  if (r.python) lines.push(`| \`python3 -c 'import json; json.load(open(F))'\` | ${s(r.python.seconds)} | – | ${(r.fileMB / r.python.seconds).toFixed(0)} | ${(r.python.peakRssMB / 1024).toFixed(1)} GB | 1× |`);
  lines.push('', `Hot-path candidates on the first ${r.sampleMB.toFixed(0)} MB of the annotations, in one process (stream-json: one run; the others: best of 3, JIT warm), file reading included:`, '', '| method | MB/s | what it does |', '|---|---|---|');
  for (const h of r.hotPath) lines.push(`| ${h.method} | ${h.mbPerSecond.toFixed(1)} | ${h.note} |`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const result = await child(args[1]!, args[2]!, args[3]!);
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const repeatsAt = args.indexOf('--repeats');
    const result = await benchLoad({
      python: !args.includes('--no-python'),
      ...(repeatsAt >= 0 ? { repeats: Number(args[repeatsAt + 1]) } : {}),
    });
    process.stdout.write(result.markdown + '\n');
  }
}
