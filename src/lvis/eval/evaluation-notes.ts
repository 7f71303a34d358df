/**
 * Remarks on a pair of files that hold for every IoU type: what was (not) scored and why, and
 * warnings where the numbers would mislead (predictions that miss most images) or where the
 * LVIS API would not have given a number at all.
 */
import type { EvalResult, IouType } from './evaluate.js';
import type { SegmentationQuirks } from './segmentation-rle.js';

/** What the notes look at of an evaluation of two files (evaluate-files.ts's result). */
export interface FilesOutcome {
  evaluations: readonly Pick<EvalResult, 'iouType' | 'notes'>[];
  notes: string[];
  detections: number;
  detectionsWithMasks: number;
  imagesWithDetections: number;
  gt: { images: number };
}

/** Below this share of the GT's images with a detection, the evaluation warns. */
export const LOW_COVERAGE = 0.5;

export function evaluationNotes(r: FilesOutcome, wanted: IouType | 'auto', quirks: { gt: SegmentationQuirks; detections: SegmentationQuirks }): string[] {
  const notes: string[] = [];
  const segm = r.evaluations.some((e) => e.iouType === 'segm');
  // (No detections at all: each evaluation says so.)
  if (r.detections > 0 && r.imagesWithDetections < LOW_COVERAGE * r.gt.images) {
    const pct = ((100 * r.imagesWithDetections) / r.gt.images).toFixed(r.imagesWithDetections < r.gt.images / 100 ? 2 : 0);
    notes.push(
      `warning: the predictions cover only ${r.imagesWithDetections} of the GT's ${r.gt.images} images (${pct}%): every object on the others counts as missed. Are these predictions for this GT file?`,
    );
  }
  if (wanted === 'auto' && !segm && r.detections > 0) notes.push('The predictions carry no masks (no detection has a "segmentation"): box AP only.');
  const boxOnly = r.detections - r.detectionsWithMasks;
  if (segm && boxOnly > 0) notes.push(`${boxOnly} detection(s) have no "segmentation": for mask AP each is its box drawn as a polygon, as the LVIS API does.`);
  notes.push(...quirkNotes('ground-truth annotation(s)', quirks.gt), ...quirkNotes('detection(s)', quirks.detections));
  return notes;
}

function quirkNotes(what: string, q: SegmentationQuirks): string[] {
  const notes: string[] = [];
  if (q.boxLists > 0) {
    notes.push(
      `warning: ${q.boxLists} ${what} have a "segmentation" whose first polygon has exactly 4 numbers: pycocotools' frPyObjects reads such a list as boxes [x, y, w, h], and so does this evaluation, but the LVIS API stops on them (frBbox rejects a JSON list with a TypeError), so it gives no number to compare.`,
    );
  }
  if (q.oddRings > 0) notes.push(`${q.oddRings} polygon(s) of ${what} have an odd count of numbers: the last one is not used, as pycocotools does.`);
  return notes;
}


/**
 * Every note of a result, for a log: the files' notes, then each evaluation's; a note both
 * evaluations make is said once, the others say which evaluation they are about.
 */
export function allNotes(r: FilesOutcome): string[] {
  const [first, second] = r.evaluations;
  const out = [...r.notes];
  for (const note of first?.notes ?? []) out.push(second && !second.notes.includes(note) ? `${first!.iouType}: ${note}` : note);
  for (const note of second?.notes ?? []) if (!first!.notes.includes(note)) out.push(`${second.iouType}: ${note}`);
  return out;
}
