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
import type { CategoryScores } from './accumulate.js';
import { areaNotes, detectionAreas, type DetectionAreas } from './areas.js';
import type { DetectionColumns, DetectionData } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { BadMaskError, MaskIou } from './mask-iou.js';
import { BoxIou, type IouSource } from './match.js';
import { FREQUENCIES, MAX_DETS_PER_IMAGE, METRIC_NAMES, type Frequency, type MetricName } from './params.js';
import { CategoryScorer, claimCategory, newScoreBoard, scoresOf } from './score-board.js';
import { scoringJob, type ScoringJob, type ScoringShareResult } from './score-share.js';
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
  /** For segm: another thread that scores a share of the categories (gt-extras-task.ts). */
  partner?: ScoringPartner;
  /** prepareDetections' answer for these detections, when made ahead. */
  prepared?: PreparedDetections;
}

/** Another thread that scores categories taken from the job's board until none is left. */
export interface ScoringPartner {
  score(job: ScoringJob): Promise<ScoringShareResult>;
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

/** What scoring starts from, the same for boxes and masks: each detection's area (areas.ts) and the API's selection (select.ts). */
export interface PreparedDetections {
  areas: DetectionAreas;
  sel: SelectedDetections;
}

/**
 * The areas and the selection, set on `detections`: evaluateDetections makes them itself, or
 * takes them from here (evaluate-files.ts makes them while the GT thread still draws masks).
 */
export function prepareDetections(gt: GtIndex, detections: DetectionColumns): PreparedDetections {
  if (detections.gt !== gt) throw new Error('evaluateDetections: the detections were built against another GtIndex');
  detections.throwIfInvalid();
  const areas = detectionAreas(detections.data());
  detections.setAreas(areas.area);
  return { areas, sel: selectDetections(gt, detections.data()) };
}

export async function evaluateDetections(gt: GtIndex, detections: DetectionColumns, opts: EvaluateOptions = {}): Promise<EvalResult> {
  opts.signal?.throwIfAborted();
  const iouType = opts.iouType ?? 'bbox';
  const { areas, sel } = opts.prepared ?? prepareDetections(gt, detections);
  const dets = detections.data();
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
  const partner = iouType === 'segm' ? opts.partner : undefined;
  const board = newScoreBoard(sel, nc, partner !== undefined);
  const scorer = new CategoryScorer(gt, dets, sel, ious);
  // The other thread takes categories from the same board as soon as it has the job.
  const shared = partner?.score(scoringJob(gt, dets, sel, board));
  opts.progress?.start(iouType === 'segm' ? 'evaluating masks' : 'evaluating boxes', nc, 'categories');
  let sliceStart = performance.now();
  try {
    for (let c = claimCategory(board); c >= 0; c = claimCategory(board)) {
      scorer.score(c, scoresOf(board, c));
      if (performance.now() - sliceStart > SLICE_MS) {
        opts.progress?.update(Math.min(nc, Atomics.load(board.next, 0)));
        await new Promise<void>((resolve) => setImmediate(resolve));
        opts.signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
  } catch (err) {
    Atomics.store(board.next, 0, nc); // the other thread stops after its category
    await shared?.catch(() => {});
    throw err;
  }
  const other = await shared;
  if (other?.badMask) throw new BadMaskError(other.badMask.row, other.badMask.message);
  opts.progress?.update(nc);
  opts.progress?.done();
  return Array.from({ length: nc }, (_, c) => scoresOf(board, c));
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
