/**
 * The masks of detections, as read-detections.ts meets them: a detection's `segmentation` (a
 * compressed or uncompressed RLE, as detectron2 and mmdetection write; polygons too, which
 * LVIS.ann_to_rle also takes) becomes a mask of its image's size, checked (an RLE whose size is
 * not the image's, or whose counts do not cover it, is an error naming the detection), measured
 * (pixel count, and the box of a detection without `bbox`, as LVISResults' toBbox) and, for
 * mask AP, kept in an RleStore as its compressed string.
 */
import { rleFrBbox } from '../mask/rle-poly.js';
import { rleArea, rleToBbox } from '../mask/rle-measure.js';
import { RleStore } from '../mask/rle-store.js';
import { rleToString } from '../mask/rle-string.js';
import { BOX, CATEGORY, FIELD_BIT, IMAGE, SCORE, SEGMENTATION, detection, type MaskReader } from './detection-scan.js';
import { HAS_BOX, HAS_SEGMENTATION, type DetectionColumns } from './detections.js';
import type { GtIndex } from './gt-index.js';
import { fastCounts, fastMask, readCompressedRle } from './detection-rle-fast.js';
import { parseSegmentation } from './segmentation-json.js';
import { newQuirks, segmentationToRle, type SegmentationMask } from './segmentation-rle.js';

export interface DetectionMaskOptions {
  /** Keep every mask (mask AP); else masks are read only for what boxes need. */
  store: boolean;
  /** Read the mask of every detection that has one, for its area (LVISResults' rule when its first result has no bbox). */
  areasOfAll: boolean;
}

/** DetectionData.mask of a detection with a mask that was not kept: no GT of its category on its image, so no IoU ever needs it. */
export const MASK_NOT_KEPT = -2;

export class DetectionMaskReader {
  readonly store = new RleStore();
  readonly quirks = newQuirks();
  /** Detections with a `segmentation`. */
  withSegmentation = 0;
  /** For detection-scan.ts: reads a mask in place, when masks are kept or measured at all. */
  readonly inPlace: MaskReader | undefined;
  private readonly box = new Float64Array(4);
  /**
   * With `store`: the categories with GT on each image (only their detections' masks are ever
   * decoded): image i's are pairCats[pairStart[i] .. pairStart[i + 1]). Looked up once or twice
   * per detection, where a Set of keys cost a tenth of the read; an image has a few.
   */
  private readonly pairStart: Int32Array | undefined;
  private readonly pairCats: Int32Array | undefined;

  constructor(
    private readonly gt: GtIndex,
    private readonly opts: DetectionMaskOptions,
  ) {
    this.inPlace = opts.store || opts.areasOfAll ? (b, p, end, imageId, have) => this.readInPlace(b, p, end, imageId, have) : undefined;
    if (opts.store && !opts.areasOfAll) {
      [this.pairStart, this.pairCats] = categoriesByImage(gt);
    }
  }

  /**
   * Adds the detection detection-scan.ts last read from window b (at byte `offset` of the file)
   * to `cols`; returns what is wrong with it (already recorded in cols.problems), or undefined.
   */
  add(cols: DetectionColumns, b: Buffer, offset: number): string | undefined {
    const v = detection.values;
    const hasBox = (detection.has & FIELD_BIT[BOX]!) !== 0;
    const hasSeg = (detection.has & FIELD_BIT[SEGMENTATION]!) !== 0;
    if (hasSeg) this.withSegmentation++;
    const flags = (hasBox ? HAS_BOX : 0) | (hasSeg ? HAS_SEGMENTATION : 0);
    const img = this.gt.imageIndex.get(v[IMAGE]!);
    if (!hasSeg || img < 0 || !(this.opts.store || !hasBox || this.opts.areasOfAll)) {
      // No mask to read (or an unknown image, which cols.add reports).
      return cols.add(v[IMAGE]!, v[CATEGORY]!, v[BOX]!, v[BOX + 1]!, v[BOX + 2]!, v[BOX + 3]!, v[SCORE]!, { flags, offset })?.message;
    }
    const h = this.gt.imageHeight[img]!;
    const w = this.gt.imageWidth[img]!;
    // Counts are needed now only for an area or a box; else the mask is checked when decoded.
    const needCounts = !hasBox || this.opts.areasOfAll;
    let counts = detection.maskRead && detection.maskImage === v[IMAGE] && needCounts ? fastCounts(h, w) : undefined;
    // (a mask left out for a category that a repeated "category_id" then changed is read again below)
    const fast = detection.maskRead && detection.maskImage === v[IMAGE] && (!needCounts || counts !== undefined) && (fastMask.kept || !this.hasGt(img, v[CATEGORY]!));
    let stored = -1;
    if (fast) stored = this.opts.store ? (fastMask.kept ? this.store.commit(fastMask.length) : MASK_NOT_KEPT) : -1;
    else {
      const mask = this.read(b, img);
      if (typeof mask === 'string') return cols.reject(mask).message;
      counts = mask.counts;
      if (this.opts.store) stored = this.keep(mask);
    }
    if (!hasBox) rleToBbox(counts!, h, w, this.box);
    const box = hasBox ? this.boxOf(v) : this.box;
    const maskArea = counts ? rleArea(counts) : NaN;
    return cols.add(v[IMAGE]!, v[CATEGORY]!, box[0]!, box[1]!, box[2]!, box[3]!, v[SCORE]!, { flags, maskArea, mask: stored, offset })?.message;
  }

  private readInPlace(b: Buffer, p: number, end: number, imageId: number, have: number): number {
    const img = this.gt.imageIndex.get(imageId);
    if (img < 0) return -1;
    return readCompressedRle(b, p, end, this.gt.imageHeight[img]!, this.gt.imageWidth[img]!, this.store, this.keeps(img, have));
  }

  /**
   * Whether the mask being read is kept: not when its detection's bbox and category came
   * before it and no GT of that category is on its image (about half of a detector's
   * detections: copying them cost time and memory for nothing). Its box then gives its area, and
   * a bad mask there goes unseen, as in the API, which computes no IoU for it either.
   */
  private keeps(img: number, have: number): boolean {
    return !this.pairStart || !(have & FIELD_BIT[BOX]!) || !(have & FIELD_BIT[CATEGORY]!) || this.hasGt(img, detection.values[CATEGORY]!);
  }

  private hasGt(img: number, categoryId: number): boolean {
    const c = this.gt.categoryIndex.get(categoryId);
    if (c < 0) return false;
    for (let k = this.pairStart![img]!; k < this.pairStart![img + 1]!; k++) if (this.pairCats![k] === c) return true;
    return false;
  }

  private boxOf(v: Float64Array): Float64Array {
    for (let k = 0; k < 4; k++) this.box[k] = v[BOX + k]!;
    return this.box;
  }

  /** The mask of the segmentation detection-scan.ts found, on image `img`. */
  private read(b: Buffer, img: number): SegmentationMask | string {
    const h = this.gt.imageHeight[img]!;
    const w = this.gt.imageWidth[img]!;
    if (!(Number.isInteger(h) && h >= 1 && Number.isInteger(w) && w >= 1)) {
      return `its image (id ${this.gt.imageIds[img]}) has no usable "height" and "width" in the GT (found ${h}, ${w}): a mask is drawn at the image's size`;
    }
    const seg = parseSegmentation(b, detection.segmentationStart, detection.segmentationEnd);
    const mask = segmentationToRle(seg, h, w, this.quirks);
    return typeof mask === 'string' ? `"segmentation": ${mask}` : mask;
  }

  private keep(mask: SegmentationMask): number {
    if (mask.string) return this.store.addUnescaped(mask.string.bytes, mask.string.start, mask.string.end);
    const s = rleToString(mask.counts);
    return this.store.addUnescaped(s, 0, s.length);
  }
}

/**
 * Gives every stored detection without a mask its box drawn as a polygon, which is what
 * LVISResults gives a detection without `segmentation` ([[x1, y1, x1, y2, x2, y2, x2, y1]],
 * rasterised as rleFrBbox does); returns how many. For mask AP.
 */
export function boxMasks(cols: DetectionColumns, store: RleStore): number {
  const d = cols.data();
  const mask = d.mask!;
  let n = 0;
  for (let i = 0; i < d.count; i++) {
    if (mask[i]! !== -1) continue; // (a mask, kept or not)
    const img = d.image[i]!;
    const counts = rleFrBbox(d.box, 4 * i, cols.gt.imageHeight[img]!, cols.gt.imageWidth[img]!);
    if (!counts) throw new Error(`boxMasks: the box of detection row ${i} is too large to draw`); // a bbox is finite; far out it is a bug to reach here
    const s = rleToString(counts);
    mask[i] = store.addUnescaped(s, 0, s.length);
    n++;
  }
  return n;
}

/** The categories with GT on each image, for DetectionMaskReader.hasGt: [start per image (and the end), categories]. */
function categoriesByImage(gt: GtIndex): [Int32Array, Int32Array] {
  const start = new Int32Array(gt.numImages + 1);
  const seen = new Int32Array(gt.numImages).fill(-1); // the last category counted on each image (GT is in category order)
  for (let c = 0; c < gt.numCategories; c++) {
    for (let k = gt.catGtStart[c]!; k < gt.catGtStart[c + 1]!; k++) {
      const img = gt.gtImage[k]!;
      if (seen[img] !== c) start[img + 1]!++;
      seen[img] = c;
    }
  }
  for (let i = 0; i < gt.numImages; i++) start[i + 1]! += start[i]!;
  const cats = new Int32Array(start[gt.numImages]!);
  const next = start.slice(0, gt.numImages);
  seen.fill(-1);
  for (let c = 0; c < gt.numCategories; c++) {
    for (let k = gt.catGtStart[c]!; k < gt.catGtStart[c + 1]!; k++) {
      const img = gt.gtImage[k]!;
      if (seen[img] !== c) cats[next[img]!++] = c;
      seen[img] = c;
    }
  }
  return [start, cats];
}
