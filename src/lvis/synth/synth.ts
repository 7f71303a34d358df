/**
 * Synthetic LVIS v1 data: train and val annotation files in the exact LVIS v1 format, and a
 * predictions file for val, at any scale, deterministic by seed (byte-identical output for
 * the same options). The model is described in synth-model.ts; the files are streamed to
 * disk in ~1 MB chunks, so full scale (100,170 train images, ~1.27M annotations, ~1 GB)
 * needs little memory.
 *
 * Independent random streams keep the parts apart: the category traits, the image ids, each
 * split's plan, and each image's annotations and detections have their own, so that (for
 * example) the val file does not change when predictions are or are not requested.
 */
import { type ProgressReporter } from '../../base/progress.js';
import { DiagnosticError } from '../../base/diagnostic.js';
import { LVIS_V1_TRAIN_IMAGES, LVIS_V1_VAL_IMAGES, lvisV1Categories } from '../dataset/lvis-categories.js';
import { annotationJson, categoryJson, COCO_LICENSES_JSON, intList, pyString } from './format.js';
import { AnnotationGeometry, drawAnnotation } from './geometry.js';
import { writeTextAtomically, type WrittenFile } from './io.js';
import { COOCCURRENCE_MODELS, SYNTH_GENERATOR_VERSION, buildCategoryModel, type CategoryModel, type Cooccurrence } from './model.js';
import { withScenes } from './scenes.js';
import { drawImageIds, planSplit, type SplitPlan } from './plan.js';
import { detectionsJson, type GroundTruthBox } from './preds.js';
import type { ObjectShape } from './masks.js';
import { Rng } from './random.js';

export interface SynthOptions {
  seed: number;
  /** Train images (LVIS v1 train: 100,170). */
  trainImages: number;
  /** Val images (LVIS v1 val: 19,809); 0 writes no val file (and no predictions). */
  valImages: number;
  /** Write a predictions file for val. */
  preds: boolean;
  /** gzip the files (the paths should then end in .gz). */
  gzip: boolean;
  /** Multiplies the number of polygon vertices (1 = LVIS-like, about 1 GB at full scale). */
  polygonDetail: number;
  /** Give the detections masks (RLE, as detectron2 writes them); absent: boxes only. */
  masks?: boolean;
  /** How categories come together in an image (model.ts `Cooccurrence`); absent: `topics`. */
  cooccurrence?: Cooccurrence;
}

export interface SynthPaths {
  train: string;
  val?: string;
  preds?: string;
}

export interface SynthFileSummary extends WrittenFile {
  images: number;
  /** Annotations (train, val) or detections (preds). */
  records: number;
  seconds: number;
}

export interface SynthSummary {
  train: SynthFileSummary;
  val?: SynthFileSummary;
  preds?: SynthFileSummary;
}

export const SYNTH_DEFAULTS = { seed: 0, polygonDetail: 1, preds: true, gzip: false, cooccurrence: 'topics' } as const;

/** Val images that go with `trainImages`, in LVIS v1's val/train proportion. */
export function defaultValImages(trainImages: number): number {
  return Math.round((trainImages * LVIS_V1_VAL_IMAGES) / LVIS_V1_TRAIN_IMAGES);
}

/** Standard file names for a generated set in a folder. */
export function synthFileNames(gzip: boolean): { train: string; val: string; preds: string } {
  const gz = gzip ? '.gz' : '';
  return {
    train: `lvis_v1_train_synth.json${gz}`,
    val: `lvis_v1_val_synth.json${gz}`,
    preds: `preds_val_synth.json${gz}`,
  };
}

export const MAX_SYNTH_IMAGES = 5_000_000;

/**
 * Checks the options of `lvis-pipe synth` (the step's JSON Schema states the same ranges, so a
 * pipeline reports them at validation); every problem is reported at once, by flag name.
 */
export function checkSynthOptions(o: SynthOptions): void {
  const problems: string[] = [];
  const intIn = (flag: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) problems.push(`--${flag} must be an integer from ${lo} to ${hi}, got ${v}`);
  };
  intIn('images', o.trainImages, 1, MAX_SYNTH_IMAGES);
  intIn('val-images', o.valImages, 0, MAX_SYNTH_IMAGES);
  intIn('seed', o.seed, 0, 2 ** 32 - 1);
  if (!(o.polygonDetail >= 0.1 && o.polygonDetail <= 10)) problems.push(`--polygon-detail must be a number from 0.1 to 10, got ${o.polygonDetail}`);
  if (o.cooccurrence !== undefined && !COOCCURRENCE_MODELS.includes(o.cooccurrence)) {
    problems.push(`--cooccurrence must be one of ${COOCCURRENCE_MODELS.join(', ')}, got ${JSON.stringify(o.cooccurrence)}`);
  }
  if (problems.length) throw new DiagnosticError(problems.map((message) => ({ severity: 'error' as const, message })), 2);
}

interface Hooks {
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

/** Generates the files and returns what was written. */
export async function generateSynthLvis(options: SynthOptions, paths: SynthPaths, hooks: Hooks = {}): Promise<SynthSummary> {
  const { model, train, val } = planSynthSplits(options);
  const summary: SynthSummary = { train: await writeSplit(model, train, options, paths.train, hooks) };
  if (val.imageCount > 0) {
    if (paths.val) summary.val = await writeSplit(model, val, options, paths.val, hooks);
    if (options.preds && paths.preds) summary.preds = await writePredictions(model, val, options, paths.preds, hooks);
  }
  return summary;
}

/**
 * Only the predictions file of the val that `options` makes (the same bytes generateSynthLvis
 * writes), without writing train or val: e.g. predictions with masks for a val made earlier.
 */
export async function writeSynthPredictions(options: SynthOptions, path: string, hooks: Hooks = {}): Promise<SynthFileSummary> {
  const { model, val } = planSynthSplits(options);
  return writePredictions(model, val, options, path, hooks);
}

/**
 * The plans of both splits (what each image shows, without geometry): cheap even at full
 * scale. Val's annotation ids continue after train's.
 */
export function planSynthSplits(options: Pick<SynthOptions, 'seed' | 'trainImages' | 'valImages' | 'cooccurrence'>): {
  model: CategoryModel;
  train: SplitPlan;
  val: SplitPlan;
} {
  const base = buildCategoryModel(lvisV1Categories(), options.seed);
  const model = options.cooccurrence === 'scenes' ? withScenes(base, options.seed) : base;
  const [trainIds, valIds] = drawImageIds(options.seed, options.trainImages, options.valImages);
  const train = planSplit(model, options.seed, 'train', trainIds, 1);
  const val = planSplit(model, options.seed, 'val', valIds, train.firstAnnotationId + train.annotationCount);
  return { model, train, val };
}

const CHUNK_CHARS = 1 << 20;

/**
 * Calls `visit` with the geometry of every annotation of image `i`, in the order written.
 * The geometry object is reused: copy what you keep.
 */
function forEachAnnotation(
  model: CategoryModel,
  plan: SplitPlan,
  i: number,
  options: SynthOptions,
  geometry: AnnotationGeometry,
  visit: (g: AnnotationGeometry) => void,
): void {
  const rng = new Rng(options.seed, plan.split, 'annotations', plan.imageId[i]!);
  const { offsets, category, instances } = plan.pairs;
  for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
    for (let k = 0; k < instances[p]!; k++) {
      drawAnnotation(rng, model, category[p]!, plan.width[i]!, plan.height[i]!, options.polygonDetail, geometry);
      visit(geometry);
    }
  }
}

const TWO_DIGITS = (n: number) => String(n).padStart(2, '0');

function imageJson(model: CategoryModel, plan: SplitPlan, i: number, seed: number): string {
  const rng = new Rng(seed, plan.split, 'image', plan.imageId[i]!);
  const id = plan.imageId[i]!;
  // COCO images were captured (per their EXIF) mostly in November 2013.
  const date =
    `2013-11-${TWO_DIGITS(14 + rng.int(12))} ${TWO_DIGITS(rng.int(24))}:` + `${TWO_DIGITS(rng.int(60))}:${TWO_DIGITS(rng.int(60))}`;
  const license = 1 + rng.int(6);
  const flickr =
    `http://farm${1 + rng.int(9)}.staticflickr.com/${1000 + rng.int(8000)}/` +
    `${1000000000 + rng.int(8000000000)}_${rng.nextUint32().toString(16).padStart(8, '0')}${rng.int(256).toString(16).padStart(2, '0')}_z.jpg`;
  const folder = plan.split === 'train' ? 'train2017' : 'val2017';
  const catIds = (lists: { offsets: Int32Array; values: Int32Array }) => {
    const ids: number[] = [];
    for (let k = lists.offsets[i]!; k < lists.offsets[i + 1]!; k++) ids.push(model.meta[lists.values[k]!]!.id);
    return intList(ids);
  };
  return (
    `{"date_captured": "${date}", "neg_category_ids": ${catIds(plan.negatives)}, "id": ${id}, "license": ${license}, ` +
    `"height": ${plan.height[i]}, "width": ${plan.width[i]}, "flickr_url": "${flickr}", ` +
    `"coco_url": "http://images.cocodataset.org/${folder}/${String(id).padStart(12, '0')}.jpg", ` +
    `"not_exhaustive_category_ids": ${catIds(plan.notExhaustive)}}`
  );
}

function infoJson(plan: SplitPlan, options: SynthOptions): string {
  return (
    `{"description": ${pyString(
      `Synthetic LVIS v1-format ${plan.split} annotations made by lvis-pipe synth. The categories are LVIS v1's ` +
        '(lvisdataset.org, CC BY 4.0); the images and annotations are random, not real data.',
    )}, "url": "https://www.lvisdataset.org", "version": "1.0", "contributor": "lvis-pipe synth", ` +
    `"generator": {"version": ${SYNTH_GENERATOR_VERSION}, "seed": ${options.seed}, "train_images": ${options.trainImages}, ` +
    `"val_images": ${options.valImages}, "polygon_detail": ${options.polygonDetail}` +
    // Only a non-default model is named, so that the default's files stay byte-identical.
    `${options.cooccurrence === 'scenes' ? ', "cooccurrence": "scenes"' : ''}}}`
  );
}

function* splitText(model: CategoryModel, plan: SplitPlan, options: SynthOptions, progress?: ProgressReporter): Generator<string> {
  const N = plan.imageCount;
  progress?.start(`${plan.split} images`, N, 'images');
  let buf = `{"info": ${infoJson(plan, options)}, "licenses": ${COCO_LICENSES_JSON}, "images": [`;
  for (let i = 0; i < N; i++) {
    buf += (i ? ', ' : '') + imageJson(model, plan, i, options.seed);
    if (buf.length > CHUNK_CHARS) {
      yield buf;
      buf = '';
      progress?.update(i + 1);
    }
  }
  progress?.done();
  buf += '], "annotations": [';
  progress?.start(`${plan.split} annotations`, N, 'images');
  const geometry = new AnnotationGeometry();
  let id = plan.firstAnnotationId;
  let first = true;
  for (let r = 0; r < N; r++) {
    const i = plan.annotationOrder[r]!;
    const imageId = plan.imageId[i]!;
    forEachAnnotation(model, plan, i, options, geometry, (g) => {
      buf += (first ? '' : ', ') + annotationJson(g, id++, imageId, model.meta[g.category]!.id);
      first = false;
    });
    if (buf.length > CHUNK_CHARS) {
      yield buf;
      buf = '';
      progress?.update(r + 1);
    }
  }
  progress?.done();
  if (id - plan.firstAnnotationId !== plan.annotationCount) throw new Error('synth: annotation count differs from the plan');
  const cats = model.meta.map((m, c) => categoryJson(m, plan.categoryImageCount[c]!, plan.categoryInstanceCount[c]!));
  yield buf + '], "categories": [' + cats.join(', ') + ']}';
}

async function writeSplit(
  model: CategoryModel,
  plan: SplitPlan,
  options: SynthOptions,
  path: string,
  hooks: Hooks,
): Promise<SynthFileSummary> {
  const t0 = performance.now();
  const written = await writeTextAtomically(path, splitText(model, plan, options, hooks.progress), {
    gzip: options.gzip,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  return { ...written, images: plan.imageCount, records: plan.annotationCount, seconds: (performance.now() - t0) / 1000 };
}

async function writePredictions(
  model: CategoryModel,
  val: SplitPlan,
  options: SynthOptions,
  path: string,
  hooks: Hooks,
): Promise<SynthFileSummary> {
  const t0 = performance.now();
  let records = 0;
  function* text(): Generator<string> {
    const progress = hooks.progress;
    progress?.start('val predictions', val.imageCount, 'images');
    const geometry = new AnnotationGeometry();
    let buf = '[';
    for (let i = 0; i < val.imageCount; i++) {
      const gts: GroundTruthBox[] = [];
      forEachAnnotation(model, val, i, options, geometry, (g) =>
        gts.push({ category: g.category, x: g.bbox[0]!, y: g.bbox[1]!, w: g.bbox[2]!, h: g.bbox[3]!, ...(options.masks ? { shape: objectShape(g) } : {}) }),
      );
      const rng = new Rng(options.seed, 'preds', val.imageId[i]!);
      const maskRng = options.masks ? new Rng(options.seed, 'masks', val.imageId[i]!) : undefined;
      const dets = detectionsJson(rng, model, val.imageId[i]!, val.width[i]!, val.height[i]!, val.topic[i]!, gts, maskRng);
      if (dets.length) {
        buf += (records ? ', ' : '') + dets.join(', ');
        records += dets.length;
      }
      if (buf.length > CHUNK_CHARS) {
        yield buf;
        buf = '';
        progress?.update(i + 1);
      }
    }
    progress?.done();
    yield buf + ']';
  }
  const written = await writeTextAtomically(path, text(), {
    gzip: options.gzip,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  return { ...written, images: val.imageCount, records, seconds: (performance.now() - t0) / 1000 };
}

/** An annotation's polygons and box in pixels (the geometry object is reused: this copies). */
function objectShape(g: AnnotationGeometry): ObjectShape {
  const polygons: Float64Array[] = [];
  let start = 0;
  for (const end of g.polygonEnds) {
    polygons.push(Float64Array.from(g.coords.subarray(start, end), (v) => v / 100));
    start = end;
  }
  const [x, y, w, h] = g.bbox;
  return { polygons, box: { x0: x! / 100, y0: y! / 100, x1: (x! + w!) / 100, y1: (y! + h!) / 100 } };
}
