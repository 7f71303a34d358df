/**
 * Mask AP's scoring shared with a second thread (the GT thread of gt-extras-task.ts, which has
 * drawn the GT masks by then): what it is sent, and what it runs. The masks of both sides are
 * in shared memory (rle-store.ts, counts-store.ts) and the results go to a shared ScoreBoard;
 * the few columns scoring reads are copied (a few MB).
 */
import { sharedCopy } from '../../base/shared-copy.js';
import { CountsStore, type CountsStoreData } from '../mask/counts-store.js';
import { RleStore, type RleStoreData } from '../mask/rle-store.js';
import { BadMaskError, MaskIou } from './mask-iou.js';
import type { ScoringDets, ScoringGt, ScoringSelection } from './match.js';
import { CategoryScorer, claimCategory, scoresOf, type ScoreBoard } from './score-board.js';

/** Everything the second thread needs to score segm categories, as plain data for postMessage. */
export interface ScoringJob {
  gt: Omit<ScoringGt, 'notExhaustive' | 'masks'> & { notExhaustive: Float64Array; masks: { store: CountsStoreData; index: Int32Array } };
  dets: Omit<ScoringDets, 'masks' | 'mask'> & { mask: Int32Array; masks: RleStoreData };
  sel: ScoringSelection;
  board: ScoreBoard;
}

/** What the second thread answers: nothing, or the first detection mask it found bad. */
export interface ScoringShareResult {
  badMask?: { row: number; message: string };
}

export function scoringJob(gt: ScoringGt, dets: ScoringDets, sel: ScoringSelection, board: ScoreBoard): ScoringJob {
  if (!gt.masks || !dets.mask || !dets.masks) throw new Error('scoringJob: mask AP needs the masks of both sides');
  // Copies in shared memory of what is used (postMessage would serialize plain arrays, slowly, and a view's whole buffer).
  const n = dets.count;
  return {
    gt: {
      numCategories: gt.numCategories,
      catGtStart: sharedCopy(gt.catGtStart),
      gtImage: sharedCopy(gt.gtImage),
      gtArea: sharedCopy(gt.gtArea),
      gtIgnore: sharedCopy(gt.gtIgnore),
      gtIdZero: sharedCopy(gt.gtIdZero),
      imageHeight: sharedCopy(gt.imageHeight),
      imageWidth: sharedCopy(gt.imageWidth),
      notExhaustive: sharedCopy(Float64Array.from(gt.notExhaustive)),
      masks: { store: gt.masks.store.toMessage(), index: sharedCopy(gt.masks.index) },
    },
    dets: { count: n, image: sharedCopy(dets.image, n), score: sharedCopy(dets.score, n), area: sharedCopy(dets.area, n), mask: sharedCopy(dets.mask, n), masks: dets.masks.toMessage() },
    sel: { order: sharedCopy(sel.order), catStart: sharedCopy(sel.catStart) },
    board,
  };
}

/** Scores categories taken from the job's board until none is left (in the second thread). */
export function scoreShare(job: ScoringJob): ScoringShareResult {
  const gt: ScoringGt = { ...job.gt, notExhaustive: new Set(job.gt.notExhaustive), masks: { store: CountsStore.fromMessage(job.gt.masks.store), index: job.gt.masks.index } };
  const dets: ScoringDets = { ...job.dets, masks: new RleStore(job.dets.masks) };
  const scorer = new CategoryScorer(gt, dets, job.sel, new MaskIou(dets, gt));
  try {
    for (let c = claimCategory(job.board); c >= 0; c = claimCategory(job.board)) scorer.score(c, scoresOf(job.board, c));
  } catch (err) {
    if (!(err instanceof BadMaskError)) throw err;
    Atomics.store(job.board.next, 0, job.board.claimOrder.length); // the other thread stops too
    return { badMask: { row: err.row, message: err.message } };
  }
  return {};
}
