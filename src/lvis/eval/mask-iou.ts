/**
 * Mask IoU (iou_type segm) for match.ts: pycocotools' rleIou of each detection mask with each
 * GT mask of one image and category. Detection masks are decoded from their compressed strings
 * once (each belongs to one group), into one reused buffer, and only in groups that have GT;
 * GT masks are kept decoded. As rleIou skips pairs whose boxes do not overlap, pairs whose
 * columns do not overlap are 0 without walking the runs; the others walk only the foreground
 * runs (rleIntersection).
 */
import type { CountsStore } from '../mask/counts-store.js';
import type { RleStore } from '../mask/rle-store.js';
import { rleIntersection } from '../mask/rle-iou.js';
import { countsProblem } from '../mask/rle-string.js';
import type { IouSource, ScoringDets, ScoringGt } from './match.js';

export class MaskIou implements IouSource {
  private pool = new Uint32Array(1 << 16);
  private used = 0;
  private views: Uint32Array[] = [];
  /** Per mask of the group: its first and last column (empty: +inf, -inf), and its area. */
  private columns = new Float64Array(32);
  private areas = new Float64Array(16);
  /** Per mask of the group: where its last foreground run ends (in column-major pixels). */
  private ends = new Float64Array(16);
  private readonly detMask: Int32Array;
  private readonly detStore: RleStore;
  private readonly gtMask: Int32Array;
  private readonly gtStore: CountsStore;

  constructor(
    private readonly dets: ScoringDets,
    private readonly gt: ScoringGt,
  ) {
    if (!dets.mask || !dets.masks) throw new Error('MaskIou: the detections were read without their masks');
    if (!gt.masks) throw new Error('MaskIou: the GT was read without its masks');
    this.detMask = dets.mask;
    this.detStore = dets.masks;
    this.gtMask = gt.masks.index;
    this.gtStore = gt.masks.store;
  }

  fill(iou: Float64Array, order: Int32Array, d0: number, d1: number, g0: number, g1: number): void {
    const nd = d1 - d0;
    const ng = g1 - g0;
    if (ng === 0) return; // nothing to match: no IoU is read
    const img = this.dets.image[order[d0]!]!;
    this.start(nd + ng);
    for (let d = 0; d < nd; d++) this.decode(d, order[d0 + d]!, img);
    for (let j = 0; j < ng; j++) this.keep(nd + j, this.gtStore.view(this.gtMask[g0 + j]!), img);
    const cols = this.columns;
    for (let d = 0; d < nd; d++) {
      for (let j = 0; j < ng; j++) {
        const a = 2 * d;
        const b = 2 * (nd + j);
        // Masks in columns that do not overlap share no pixel (and an empty mask's range is empty).
        if (cols[a]! > cols[b + 1]! || cols[b]! > cols[a + 1]!) iou[d * ng + j] = 0;
        else {
          const i = rleIntersection(this.views[d]!, this.views[nd + j]!, this.ends[d]!, this.ends[nd + j]!);
          iou[d * ng + j] = i === 0 ? 0 : i / (this.areas[d]! + this.areas[nd + j]! - i);
        }
      }
    }
  }

  private start(n: number): void {
    this.used = 0;
    this.views.length = n;
    if (this.columns.length < 2 * n) this.columns = new Float64Array(Math.max(2 * n, 2 * this.columns.length));
    if (this.areas.length < n) {
      this.areas = new Float64Array(Math.max(n, 2 * this.areas.length));
      this.ends = new Float64Array(this.areas.length);
    }
  }

  /**
   * Decodes the mask of detection `row` as the group's mask k, and checks it (the reader only
   * checked its characters): counts that do not cover the image throw a BadMaskError.
   */
  private decode(k: number, row: number, img: number): void {
    const i = this.detMask[row]!;
    if (i < 0) throw new Error(`MaskIou: detection row ${row} has no mask kept, yet GT of its category is on its image`); // a bug
    const room = this.detStore.maxCounts(i);
    if (this.used + room > this.pool.length) {
      // Earlier views keep the old buffer alive; only later masks go to the new one.
      this.pool = new Uint32Array(Math.max(room, 2 * this.pool.length));
      this.used = 0;
    }
    const m = this.detStore.decodeInto(i, this.pool, this.used);
    if (m < 0) throw new BadMaskError(row, countsProblem);
    const view = this.pool.subarray(this.used, this.used + m);
    this.used += m;
    const covered = this.keep(k, view, img);
    const pixels = this.gt.imageHeight[img]! * this.gt.imageWidth[img]!;
    if (covered !== pixels) throw new BadMaskError(row, `the RLE's counts add up to ${covered} pixels, but a [${this.gt.imageHeight[img]}, ${this.gt.imageWidth[img]}] mask has ${pixels}`);
  }

  /** Mask k of the group, with its area and its columns (counts run down each column of h pixels); returns the pixels its counts cover. */
  private keep(k: number, counts: Uint32Array, img: number): number {
    this.views[k] = counts;
    let pos = 0;
    let area = 0;
    let first = -1;
    let last = -1;
    for (let j = 0; j < counts.length; j++) {
      const c = counts[j]!;
      if (j & 1 && c > 0) {
        if (first < 0) first = pos;
        area += c;
        last = pos + c;
      }
      pos += c;
    }
    const h = this.gt.imageHeight[img]!;
    this.areas[k] = area;
    this.ends[k] = last;
    this.columns[2 * k] = first < 0 ? Infinity : Math.floor(first / h);
    this.columns[2 * k + 1] = first < 0 ? -Infinity : Math.floor((last - 1) / h);
    return pos;
  }
}

/** A detection mask that turned out bad when decoded (its row; the message says what is wrong). */
export class BadMaskError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
    this.name = 'BadMaskError';
  }
}
