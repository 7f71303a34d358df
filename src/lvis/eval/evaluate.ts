/**
 * LVIS box AP: the numbers of lvis-api's `LVISEval(gt, results, iou_type="bbox").run()` in
 * default mode (300 detections per image), computed category by category over typed columns.
 *
 * Where the API has no answer this gives one and says so in `notes`: with no detections at
 * all the API fails (LVISResults reads `results[0]`); here every category with GT then gets
 * AP 0 and AR 0, which is what the API gives a category that has GT but no detections.
 */
import { accumulateCategory, AccumulateScratch, newCategoryScores, type CategoryScores } from './accumulate.js';
import type { DetectionColumns, DetectionData } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { MatchScratch, matchCategory } from './match.js';
import { AREA_RANGES, FREQUENCIES, MAX_DETS_PER_IMAGE, METRIC_NAMES, NUM_AREAS, NUM_IOU, type Frequency, type MetricName } from './params.js';
import { selectDetections, type SelectedDetections } from './select.js';
import { summarize } from './summarize.js';

/** Same shape as the runner's ProgressReporter, so a step can pass its own. */
export interface EvalProgress {
  start(label: string, total: number, unit?: string): void;
  update(done: number): void;
  done(): void;
}

export interface EvaluateOptions {
  signal?: AbortSignal;
  progress?: EvalProgress;
}

export interface CategoryAp {
  id: number;
  name: string;
  frequency: Frequency;
  /** AP over IoU .50:.95, all areas; -1 when the category has no GT (left out of every mean). */
  ap: number;
}

export interface EvalResult {
  /** AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300; -1 = nothing to average. */
  metrics: Record<MetricName, number>;
  /** In ascending category id order. */
  perCategory: CategoryAp[];
  /** Plain-language remarks on what was left out or undefined. */
  notes: string[];
}

/** How long the loop runs before letting the event loop in (to see an abort, draw progress). */
const SLICE_MS = 25;

export async function evaluateBoxes(gt: GtIndex, detections: DetectionColumns, opts: EvaluateOptions = {}): Promise<EvalResult> {
  if (detections.gt !== gt) throw new Error('evaluateBoxes: the detections were built against another GtIndex');
  detections.throwIfInvalid();
  opts.signal?.throwIfAborted();
  const dets = detections.data();
  const sel = selectDetections(gt, dets);
  const scores = await scoreCategories(gt, dets, sel, opts);
  const metrics = summarize(scores, gt.categoryTier);
  const perCategory: CategoryAp[] = scores.map((s, c) => ({
    id: gt.categoryIds[c]!,
    name: gt.categoryNames[c]!,
    frequency: FREQUENCIES[gt.categoryTier[c]!]!,
    ap: s.ap[0]!,
  }));
  return { metrics, perCategory, notes: notesFor(gt, dets, sel, scores, metrics) };
}

async function scoreCategories(gt: GtIndex, dets: DetectionData, sel: SelectedDetections, opts: EvaluateOptions): Promise<CategoryScores[]> {
  const nc = gt.numCategories;
  let maxN = 0;
  for (let c = 0; c < nc; c++) maxN = Math.max(maxN, sel.catStart[c + 1]! - sel.catStart[c]!);
  const status = new Uint8Array(NUM_AREAS * NUM_IOU * maxN);
  const rankBuf = new Int32Array(maxN);
  const matchScratch = new MatchScratch();
  const accScratch = new AccumulateScratch();
  const scores: CategoryScores[] = [];
  opts.progress?.start('evaluating boxes', nc, 'categories');
  let sliceStart = performance.now();
  for (let c = 0; c < nc; c++) {
    const s = newCategoryScores();
    countGt(gt, c, s.numGt);
    const n = sel.catStart[c + 1]! - sel.catStart[c]!;
    matchCategory(gt, dets, sel, c, status, matchScratch);
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

/** Non-ignored GT of category c per area range (inclusive bounds on the `area` field). */
function countGt(gt: GtIndex, c: number, out: Int32Array): void {
  for (let k = gt.catGtStart[c]!; k < gt.catGtStart[c + 1]!; k++) {
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

function notesFor(gt: GtIndex, dets: DetectionData, sel: SelectedDetections, scores: CategoryScores[], metrics: Record<MetricName, number>): string[] {
  const notes: string[] = [];
  if (dets.count === 0) {
    notes.push(
      'There are no detections, so every category with ground truth scores AP 0 and AR 0. (The LVIS API itself stops with an error on an empty results list.)',
    );
  }
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
  if (sel.droppedEmptyBox > 0) notes.push(`${sel.droppedEmptyBox} detection(s) with a box of zero area were left out, as the LVIS API does.`);
  if (gt.gtDroppedArea > 0) notes.push(`${gt.gtDroppedArea} ground-truth annotation(s) with an area that is not positive were left out, as the LVIS API does.`);
  const noGt = scores.filter((s) => s.numGt[0] === 0).length;
  if (noGt > 0) notes.push(`${noGt} of ${scores.length} categories have no ground truth: they have no AP (-1 in the per-category list) and are left out of every mean.`);
  const undefinedMetrics = METRIC_NAMES.filter((m) => metrics[m] === -1);
  if (undefinedMetrics.length > 0) {
    notes.push(`${undefinedMetrics.join(', ')}: no ground truth to average over (no category, size range or frequency tier with GT), reported as -1 as the LVIS API does.`);
  }
  return notes;
}
