/**
 * Full-scale synthetic LVIS data for the benchmarks, made once and reused:
 *   bench/data/lvis_v1_train_synth.json   100,170 images, ~1.27M annotations, ~1 GB
 *   bench/data/lvis_v1_val_synth.json      19,809 images, ~0.25M annotations, ~0.2 GB
 *   bench/data/preds_val_synth.json        ~1.1M detections on val, > 100 MB
 * and, for the sampler's second generator (bench/sampler-density.ts, issue 27):
 *   bench/data-scenes/lvis_v1_train_synth.json   100,170 images, `--cooccurrence scenes`,
 *                                                 polygon detail 0.3 (~0.43 GB), train only
 * A stamp file in each folder records the generator version and options; when they differ (or
 * a file is missing or has another size) the files are made again.
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
export const SCENE_DATA_DIR = fileURLToPath(new URL('../../bench/data-scenes/', import.meta.url));

export const FULL_SCALE_OPTIONS: SynthOptions = {
  seed: 1,
  trainImages: LVIS_V1_TRAIN_IMAGES,
  valImages: LVIS_V1_VAL_IMAGES,
  preds: true,
  gzip: false,
  polygonDetail: 1,
};

/** The scene co-occurrence set: train only, the sampler needs nothing else. */
export const SCENE_OPTIONS: SynthOptions = {
  seed: 1,
  trainImages: LVIS_V1_TRAIN_IMAGES,
  valImages: 0,
  preds: false,
  gzip: false,
  polygonDetail: 0.3,
  cooccurrence: 'scenes',
};

/** A data set the benchmarks make: its folder and its generator options. */
interface DataSet {
  dir: string;
  options: SynthOptions;
}

const FULL: DataSet = { dir: BENCH_DATA_DIR, options: FULL_SCALE_OPTIONS };
const SCENES: DataSet = { dir: SCENE_DATA_DIR, options: SCENE_OPTIONS };

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

const stampOf = (set: DataSet) => path.join(set.dir, 'synth-stamp.json');

/** The files of a set (val and preds only when its options make them). */
function paths(set: DataSet): FullScaleData {
  const names = synthFileNames(false);
  return {
    train: path.join(set.dir, names.train),
    val: path.join(set.dir, names.val),
    preds: path.join(set.dir, names.preds),
  };
}

function made(set: DataSet, files: FullScaleData): string[] {
  return [files.train, ...(set.options.valImages > 0 ? [files.val] : []), ...(set.options.valImages > 0 && set.options.preds ? [files.preds] : [])];
}

async function isFresh(set: DataSet, files: FullScaleData): Promise<boolean> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(stampOf(set), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  if (stamp.generatorVersion !== SYNTH_GENERATOR_VERSION) return false;
  if (JSON.stringify(stamp.options) !== JSON.stringify(set.options)) return false;
  for (const file of made(set, files)) {
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size !== stamp.sizes[path.basename(file)]) return false;
  }
  return true;
}


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
async function lock(set: DataSet, log: (line: string) => void): Promise<() => Promise<void>> {
  await mkdir(set.dir, { recursive: true });
  const LOCK = path.join(set.dir, 'synth.lock');
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
  return ensure(FULL, log);
}

/** Makes the scene co-occurrence train file unless a fresh one exists; returns its path. */
export async function ensureSceneData(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<string> {
  return (await ensure(SCENES, log)).train;
}

async function ensure(set: DataSet, log: (line: string) => void): Promise<FullScaleData> {
  const files = paths(set);
  if (await isFresh(set, files)) return files;
  const unlock = await lock(set, log);
  try {
    if (await isFresh(set, files)) return files;
    return await generate(set, files, log);
  } finally {
    await unlock();
  }
}

async function generate(set: DataSet, files: FullScaleData, log: (line: string) => void): Promise<FullScaleData> {
  log(`making full-scale synthetic LVIS data in ${set.dir} (about a minute or two)…`);
  const s = await generateSynthLvis(set.options, files);
  const summary: Stamp['summary'] = {};
  const sizes: Record<string, number> = {};
  for (const [key, f] of Object.entries(s)) {
    if (!f) continue;
    sizes[path.basename(f.path)] = f.fileBytes;
    summary[key] = { images: f.images, records: f.records, bytes: f.fileBytes, seconds: Math.round(f.seconds * 10) / 10 };
    log(`  ${path.basename(f.path)}: ${f.images} images, ${f.records} records, ${(f.fileBytes / 1e6).toFixed(1)} MB, ${f.seconds.toFixed(1)} s`);
  }
  const stamp: Stamp = { generatorVersion: SYNTH_GENERATOR_VERSION, options: set.options, sizes, summary };
  await writeFile(stampOf(set) + '.partial', JSON.stringify(stamp, null, 2) + '\n');
  await rename(stampOf(set) + '.partial', stampOf(set));
  return files;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const t0 = performance.now();
  const files = await ensureFullScaleData();
  process.stdout.write(`${JSON.stringify(files, null, 2)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
