/**
 * LVIS AP: the numbers of lvis-api's `LVISEval(gt, results, iou_type).run()` in default mode
 * (300 detections per image), for boxes (bbox) or masks (segm), computed category by category
 * over typed columns. Masks change only the IoU (mask-iou.ts) and, through LVISResults, the
 * detections' areas (areas.ts); selection, matching, accumulation and the summary are shared.
 *
 * Where the API has no answer this gives one and says so in `notes`: with no detections at
 * all the API fails (LVISResults reads `results[0]`); here there is then no AP at all
 * (`metrics` null), rather than a 0 that would read as a score.
 */
import { accumulateCategory, AccumulateScratch, newCategoryScores, type CategoryScores } from './accumulate.js';
import { areaNotes, detectionAreas } from './areas.js';
import type { DetectionColumns, DetectionData } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { MaskIou } from './mask-iou.js';
import { BoxIou, MatchScratch, matchCategory, type IouSource } from './match.js';
import { AREA_RANGES, FREQUENCIES, MAX_DETS_PER_IMAGE, METRIC_NAMES, NUM_AREAS, NUM_IOU, type Frequency, type MetricName } from './params.js';
import { selectDetections, type SelectedDetections } from './select.js';
import { summarize } from './summarize.js';

export type IouType = 'bbox' | 'segm';

/** Same shape as the runner's ProgressReporter, so a step can pass its own. */
export interface EvalProgress {
  start(label: string, total: number, unit?: string): void;
  update(done: number): void;
  done(): void;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  progress?: EvalProgress;
  /** bbox (the default) or segm (the detections and the GT must carry their masks). */
  iouType?: IouType;
}

export interface CategoryAp {
  id: number;
  name: string;
  frequency: Frequency;
  /** AP over IoU .50:.95, all areas; -1 when the category has no GT (left out of every mean); null without detections. */
  ap: number | null;
}

export interface EvalResult {
  iouType: IouType;
  /**
   * AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300; -1 =
   * nothing to average. Null when there are no detections at all: no AP.
   */
  metrics: Record<MetricName, number> | null;
  /** In ascending category id order (ap null when there are no detections). */
  perCategory: CategoryAp[];
  /** Plain-language remarks on what was left out or undefined. */
  notes: string[];
}

/** How long the loop runs before letting the event loop in (to see an abort, draw progress). */
const SLICE_MS = 25;

export async function evaluateDetections(gt: GtIndex, detections: DetectionColumns, opts: EvaluateOptions = {}): Promise<EvalResult> {
  if (detections.gt !== gt) throw new Error('evaluateDetections: the detections were built against another GtIndex');
  detections.throwIfInvalid();
  opts.signal?.throwIfAborted();
  const iouType = opts.iouType ?? 'bbox';
  const areas = detectionAreas(detections.data());
  detections.setAreas(areas.area);
  const dets = detections.data();
  const sel = selectDetections(gt, dets);
  if (dets.count === 0) return noDetections(gt, iouType);
  const ious: IouSource = iouType === 'segm' ? new MaskIou(dets, gt) : new BoxIou(dets, gt);
  const scores = await scoreCategories(gt, dets, sel, ious, iouType, opts);
  const metrics = summarize(scores, gt.categoryTier);
  const perCategory = categoryList(gt, (c) => scores[c]!.ap[0]!);
  const notes = [...areaNotes(areas), ...notesFor(gt, dets, sel, scores, metrics, areas.fromBox)];
  return { iouType, metrics, perCategory, notes };
}

/** Box AP (evaluateDetections with iou_type bbox). */
export function evaluateBoxes(gt: GtIndex, detections: DetectionColumns, opts: Omit<EvaluateOptions, 'iouType'> = {}): Promise<EvalResult> {
  return evaluateDetections(gt, detections, { ...opts, iouType: 'bbox' });
}

function categoryList(gt: GtIndex, ap: (c: number) => number | null): CategoryAp[] {
  return Array.from({ length: gt.numCategories }, (_, c) => ({
    id: gt.categoryIds[c]!,
    name: gt.categoryNames[c]!,
    frequency: FREQUENCIES[gt.categoryTier[c]!]!,
    ap: ap(c),
  }));
}

function noDetections(gt: GtIndex, iouType: IouType): EvalResult {
  return {
    iouType,
    metrics: null,
    perCategory: categoryList(gt, () => null),
    notes: ['warning: there are no detections, so there is no AP: none is recorded (the LVIS API itself stops with an error on an empty results list).'],
  };
}

async function scoreCategories(gt: GtIndex, dets: DetectionData, sel: SelectedDetections, ious: IouSource, iouType: IouType, opts: EvaluateOptions): Promise<CategoryScores[]> {
  const nc = gt.numCategories;
  let maxN = 0;
  for (let c = 0; c < nc; c++) maxN = Math.max(maxN, sel.catStart[c + 1]! - sel.catStart[c]!);
  const status = new Uint8Array(NUM_AREAS * NUM_IOU * maxN);
  const rankBuf = new Int32Array(maxN);
  const matchScratch = new MatchScratch();
  const accScratch = new AccumulateScratch();
  const scores: CategoryScores[] = [];
  opts.progress?.start(iouType === 'segm' ? 'evaluating masks' : 'evaluating boxes', nc, 'categories');
  let sliceStart = performance.now();
  for (let c = 0; c < nc; c++) {
    const s = newCategoryScores();
    countGt(gt, c, s.numGt);
    const n = sel.catStart[c + 1]! - sel.catStart[c]!;
    matchCategory(gt, dets, sel, c, status, matchScratch, ious);
    const rank = rankByScore(dets.score, sel.order, sel.catStart[c]!, n, rankBuf);
    accumulateCategory(status, n, rank, s, accScratch);
    scores.push(s);
    if (performance.now() - sliceStart > SLICE_MS) {
      opts.progress?.update(c + 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
      opts.signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  opts.progress?.update(nc);
  opts.progress?.done();
  return scores;
}

/** Non-ignored GT of category c per area range (inclusive bounds on the `area` field; `ignore` GT in none). */
function countGt(gt: GtIndex, c: number, out: Int32Array): void {
  for (let k = gt.catGtStart[c]!; k < gt.catGtStart[c + 1]!; k++) {
    if (gt.gtIgnore[k]) continue;
    const area = gt.gtArea[k]!;
    for (let a = 0; a < NUM_AREAS; a++) {
      if (!(area < AREA_RANGES[a]!.lo || area > AREA_RANGES[a]!.hi)) out[a]!++;
    }
  }
}

/**
 * Positions 0..n-1 of a category's run by score descending, ties by position: the run is
 * image-ascending, so this is the API's stable sort of its image-ascending concatenation.
 */
function rankByScore(score: Float64Array, order: Int32Array, start: number, n: number, buf: Int32Array): Int32Array {
  const rank = buf.subarray(0, n);
  for (let p = 0; p < n; p++) rank[p] = p;
  return rank.sort((p, q) => score[order[start + q]!]! - score[order[start + p]!]! || p - q);
}

function notesFor(gt: GtIndex, dets: DetectionData, sel: SelectedDetections, scores: CategoryScores[], metrics: Record<MetricName, number>, fromBox: boolean): string[] {
  const notes: string[] = [];
  if (sel.cutByImageLimit > 0) {
    notes.push(
      `${sel.imagesOverLimit} image(s) had more than ${MAX_DETS_PER_IMAGE} detections: only the ${MAX_DETS_PER_IMAGE} highest-scoring per image (over all categories) were kept, as the LVIS API does, and ${sel.cutByImageLimit} were not evaluated.`,
    );
  }
  if (sel.droppedNotEvaluated > 0) {
    notes.push(
      `${sel.droppedNotEvaluated} detection(s) were not scored because their category is neither annotated on their image nor in its neg_category_ids (LVIS federated evaluation).`,
    );
  }
  if (sel.droppedUnknownCategory > 0) {
    notes.push(`${sel.droppedUnknownCategory} detection(s) of categories that the GT does not have were left out, as the LVIS API does (they still counted toward the ${MAX_DETS_PER_IMAGE} per image).`);
  }
  if (sel.droppedEmptyBox > 0) notes.push(`${sel.droppedEmptyBox} detection(s) with ${fromBox ? 'a box' : 'a mask'} of zero area were left out, as the LVIS API does.`);
  const ignored = countOf(gt.gtIgnore);
  if (ignored > 0) notes.push(`${ignored} ground-truth annotation(s) have "ignore" set: as in the LVIS API, a detection matched to one counts neither as a hit nor as a miss, and they are not counted as ground truth.`);
  const idZero = countOf(gt.gtIdZero);
  if (idZero > 0) {
    notes.push(
      `warning: ${idZero} ground-truth annotation(s) have id 0. The LVIS API records a match by the GT's id and takes 0 for "no match", so a detection matched to one counts as a false positive and the GT as missed; this evaluation does the same, to give the API's numbers. Number annotations from 1 to score them.`,
    );
  }
  if (gt.gtDroppedArea > 0) notes.push(`${gt.gtDroppedArea} ground-truth annotation(s) with an area that is not positive were left out, as the LVIS API does.`);
  const noGt = scores.filter((s) => s.numGt[0] === 0).length;
  if (noGt > 0) notes.push(`${noGt} of ${scores.length} categories have no ground truth: they have no AP (-1 in the per-category list) and are left out of every mean.`);
  const undefinedMetrics = METRIC_NAMES.filter((m) => metrics[m] === -1);
  if (undefinedMetrics.length > 0) {
    notes.push(`${undefinedMetrics.join(', ')}: no ground truth to average over (no category, size range or frequency tier with GT), reported as -1 as the LVIS API does.`);
  }
  return notes;
}

function countOf(flags: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < flags.length; i++) n += flags[i]!;
  return n;
}
