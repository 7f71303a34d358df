/**
 * Full-scale synthetic LVIS data for the benchmarks, made once and reused:
 *   bench/data/lvis_v1_train_synth.json   100,170 images, ~1.27M annotations, ~1 GB
 *   bench/data/lvis_v1_val_synth.json      19,809 images, ~0.25M annotations, ~0.2 GB
 *   bench/data/preds_val_synth.json        ~1.1M detections on val, > 100 MB
 * A stamp file records the generator version and options; when they differ (or a file is
 * missing or has another size) the files are made again.
 *
 * Run alone: `node dist/bench/make-data.js` (after `npm run build`).
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LVIS_V1_TRAIN_IMAGES, LVIS_V1_VAL_IMAGES } from '../src/lvis/dataset/lvis-categories.js';
import { generateSynthLvis, synthFileNames, type SynthOptions } from '../src/lvis/synth/synth.js';
import { SYNTH_GENERATOR_VERSION } from '../src/lvis/synth/model.js';

/** The module runs from dist/bench/; the data lives in the source tree's bench/data/. */
export const BENCH_DATA_DIR = fileURLToPath(new URL('../../bench/data/', import.meta.url));

export const FULL_SCALE_OPTIONS: SynthOptions = {
  seed: 1,
  trainImages: LVIS_V1_TRAIN_IMAGES,
  valImages: LVIS_V1_VAL_IMAGES,
  preds: true,
  gzip: false,
  polygonDetail: 1,
};

export interface FullScaleData {
  train: string;
  val: string;
  preds: string;
}

interface Stamp {
  generatorVersion: number;
  options: SynthOptions;
  sizes: Record<string, number>;
  /** What was made, and how long it took (informational). */
  summary: Record<string, { images: number; records: number; bytes: number; seconds: number }>;
}

const STAMP = path.join(BENCH_DATA_DIR, 'synth-stamp.json');

function paths(): FullScaleData {
  const names = synthFileNames(false);
  return {
    train: path.join(BENCH_DATA_DIR, names.train),
    val: path.join(BENCH_DATA_DIR, names.val),
    preds: path.join(BENCH_DATA_DIR, names.preds),
  };
}

async function isFresh(files: FullScaleData): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(STAMP, 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.generatorVersion !== SYNTH_GENERATOR_VERSION) return false;
  if (JSON.stringify(stamp.options) !== JSON.stringify(FULL_SCALE_OPTIONS)) return false;
  for (const file of Object.values(files)) {
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size !== stamp.sizes[path.basename(file)]) return false;
  }
  return true;
}

const LOCK = path.join(BENCH_DATA_DIR, 'synth.lock');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the generation lock, so that two benchmarks started together do not both generate
 * 1.3 GB. Waits while a live process holds it; takes over a lock left by a dead one.
 */
async function lock(log: (line: string) => void): Promise<() => Promise<void>> {
  await mkdir(BENCH_DATA_DIR, { recursive: true });
  let told = false;
  for (;;) {
    try {
      const handle = await open(LOCK, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(LOCK, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(LOCK, 'utf8').catch(() => ''));
    if (holder > 0 && !processAlive(holder)) {
      await rm(LOCK, { force: true });
      continue;
    }
    if (!told) log(`waiting for process ${holder || '?'} to finish making the full-scale data…`);
    told = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Makes the full-scale files unless fresh ones exist; returns their paths. */
export async function ensureFullScaleData(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<FullScaleData> {
  const files = paths();
  if (await isFresh(files)) return files;
  const unlock = await lock(log);
  try {
    if (await isFresh(files)) return files;
    return await generate(files, log);
  } finally {
    await unlock();
  }
}

async function generate(files: FullScaleData, log: (line: string) => void): Promise<FullScaleData> {
  log(`making full-scale synthetic LVIS data in ${BENCH_DATA_DIR} (about a minute or two)…`);
  const s = await generateSynthLvis(FULL_SCALE_OPTIONS, files);
  const summary: Stamp['summary'] = {};
  const sizes: Record<string, number> = {};
  for (const [key, f] of Object.entries(s)) {
    if (!f) continue;
    sizes[path.basename(f.path)] = f.fileBytes;
    summary[key] = { images: f.images, records: f.records, bytes: f.fileBytes, seconds: Math.round(f.seconds * 10) / 10 };
    log(`  ${path.basename(f.path)}: ${f.images} images, ${f.records} records, ${(f.fileBytes / 1e6).toFixed(1)} MB, ${f.seconds.toFixed(1)} s`);
  }
  const stamp: Stamp = { generatorVersion: SYNTH_GENERATOR_VERSION, options: FULL_SCALE_OPTIONS, sizes, summary };
  await writeFile(STAMP + '.partial', JSON.stringify(stamp, null, 2) + '\n');
  await rename(STAMP + '.partial', STAMP);
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const t0 = performance.now();
  const files = await ensureFullScaleData();
  process.stdout.write(`${JSON.stringify(files, null, 2)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
