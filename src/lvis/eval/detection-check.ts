/**
 * One detection checked from its bytes as the evaluator checks it, for `prune-preds`, which
 * copies the detections it keeps byte for byte without reading them: so that a bad one is
 * reported at the user's file and its index there, not later at a pruned copy in the cache.
 * The same rules as read-detections.ts: the JSON, the numbers, a bbox of 4 finite numbers with
 * w, h >= 0, a finite score, a bbox or a segmentation, and a mask of the image's size.
 */
import { JsonSyntaxError, NEED_MORE } from '../json/grammar.js';
import { BOX, CATEGORY, FIELD_BIT, IMAGE, SCORE, SEGMENTATION, detection, scanDetection } from './detection-scan.js';
import { boxAndScoreProblem } from './detections.js';
import { parseSegmentation } from './segmentation-json.js';
import { newQuirks, segmentationToRle } from './segmentation-rle.js';

/** An image's height and width, for its detections' masks; undefined when not known. */
export type ImageSize = (imageId: number) => { h: number; w: number } | undefined;

const quirks = newQuirks();

/** What is wrong with the detection b[start, end) (a whole JSON value), or undefined. */
export function detectionProblem(b: Buffer, start: number, end: number, size: ImageSize): string | undefined {
  try {
    scanDetection(b, start, end);
    if (detection.problem !== undefined) return detection.problem;
    const v = detection.values;
    const hasBox = (detection.has & FIELD_BIT[BOX]!) !== 0;
    const boxProblem = hasBox ? boxAndScoreProblem(v[BOX]!, v[BOX + 1]!, v[BOX + 2]!, v[BOX + 3]!, v[SCORE]!) : boxAndScoreProblem(0, 0, 0, 0, v[SCORE]!);
    if (boxProblem !== undefined) return boxProblem;
    if (!Number.isInteger(v[IMAGE]) || !Number.isInteger(v[CATEGORY])) return `"image_id" and "category_id" must be whole numbers, found ${v[IMAGE]} and ${v[CATEGORY]}`;
    if (!(detection.has & FIELD_BIT[SEGMENTATION]!)) return undefined;
    return maskProblem(b, size(v[IMAGE]!));
  } catch (err) {
    if (err === NEED_MORE) return 'the detection ends early (truncated)';
    if (err instanceof JsonSyntaxError) return err.message;
    throw err;
  }
}

/** The segmentation scanDetection found, drawn on an image of `size` (or the RLE's own size when it is not known). */
function maskProblem(b: Buffer, size: { h: number; w: number } | undefined): string | undefined {
  const seg = parseSegmentation(b, detection.segmentationStart, detection.segmentationEnd);
  let h = size?.h;
  let w = size?.w;
  if (h === undefined || w === undefined) {
    if (seg.kind !== 'rle' || !seg.rle.size) return seg.kind === 'problem' ? `"segmentation": ${seg.problem}` : undefined;
    [h, w] = seg.rle.size as [number, number];
  }
  const mask = segmentationToRle(seg, h, w, quirks);
  return typeof mask === 'string' ? `"segmentation": ${mask}` : undefined;
}
