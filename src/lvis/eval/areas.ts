/**
 * The area LVISResults gives each detection, which the API filters on (0 < area < inf) and
 * tests area ranges with for unmatched detections. It decides from the FIRST result alone
 * (results[0] after its per-image regrouping, apiFirstDetection):
 * - if that one has a `bbox`: every area is w*h of the bbox, even for segm (a later detection
 *   without a bbox stops the API with KeyError: 'bbox'; here its mask's area is used);
 * - else: every area is the mask's pixel count (mask_utils.area), even where a bbox is given
 *   (a detection without a segmentation then stops the API; here it gets w*h of its bbox).
 */
import { HAS_BOX, HAS_SEGMENTATION, type DetectionData } from './detections.js';
import { MAX_DETS_PER_IMAGE } from './params.js';

export interface DetectionAreas {
  area: Float64Array;
  /** Whether the API's first result has a bbox (then areas are w*h). */
  fromBox: boolean;
  /** Detections the API would stop on, and the area given to them instead. */
  withoutBox: number;
  withoutSegmentation: number;
  /** Detections with a bbox whose area is nevertheless the mask's (first result without a bbox). */
  maskAreaDespiteBox: number;
}

/**
 * The row LVISResults puts first: limit_dets_per_image regroups the results by image, in order
 * of first appearance, so it is the first detection of the first detection's image, or, when
 * that image has more than 300, its highest-scoring one (the earliest among equals). -1: none.
 */
export function apiFirstDetection(dets: DetectionData): number {
  if (dets.count === 0) return -1;
  const img = dets.image[0]!;
  let count = 0;
  for (let i = 0; i < dets.count; i++) if (dets.image[i] === img) count++;
  if (count <= MAX_DETS_PER_IMAGE) return 0;
  let best = 0;
  for (let i = 1; i < dets.count; i++) if (dets.image[i] === img && dets.score[i]! > dets.score[best]!) best = i;
  return best;
}

export function detectionAreas(dets: DetectionData): DetectionAreas {
  const first = apiFirstDetection(dets);
  const fromBox = first < 0 || (dets.flags[first]! & HAS_BOX) !== 0;
  const out: DetectionAreas = { area: new Float64Array(dets.count), fromBox, withoutBox: 0, withoutSegmentation: 0, maskAreaDespiteBox: 0 };
  for (let i = 0; i < dets.count; i++) {
    const flags = dets.flags[i]!;
    const boxArea = dets.box[4 * i + 2]! * dets.box[4 * i + 3]!;
    if (fromBox) {
      if (flags & HAS_BOX) out.area[i] = boxArea;
      else {
        out.withoutBox++;
        out.area[i] = dets.maskArea[i]!;
      }
    } else if (flags & HAS_SEGMENTATION) {
      if (flags & HAS_BOX) out.maskAreaDespiteBox++;
      out.area[i] = dets.maskArea[i]!;
    } else {
      out.withoutSegmentation++;
      out.area[i] = boxArea;
    }
  }
  return out;
}

/** Notes on what the rule did where the API would have stopped, or surprises. */
export function areaNotes(a: DetectionAreas): string[] {
  const notes: string[] = [];
  if (a.withoutBox > 0) {
    notes.push(`${a.withoutBox} detection(s) have no "bbox" while the first one has: their area is their mask's (the LVIS API stops on them with KeyError: 'bbox').`);
  }
  if (a.maskAreaDespiteBox > 0) {
    notes.push(`The LVIS API's first detection has no "bbox", so, as its LVISResults does, every detection's area (for the size ranges) is its mask's, even for the ${a.maskAreaDespiteBox} that have a bbox.`);
  }
  if (a.withoutSegmentation > 0) {
    notes.push(`${a.withoutSegmentation} detection(s) have no "segmentation" while the first one has only a mask: their area is w*h of their bbox (the LVIS API stops on them).`);
  }
  return notes;
}
