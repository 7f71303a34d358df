/**
 * Mask IoU (iou_type segm) for match.ts: pycocotools' rleIou of each detection mask with each
 * GT mask of one image and category. Detection masks are decoded from their compressed strings
 * once (each belongs to one group), and only in groups that have GT; GT masks are kept decoded.
 * Each mask of a group becomes its foreground runs as [start, end) intervals of the column-major
 * pixel order, with its area and its box (first and last column and row). As rleIou skips pairs
 * whose boxes do not overlap, so does this (0 without walking). Nor is a pair walked whose IoU
 * cannot reach the lowest threshold, bounded from its areas and the overlap of its boxes: its
 * IoU is only ever compared with the thresholds (match.ts: candidates), so 0 stands for it
 * (measured: three in four overlapping pairs of detectron2-like masks). The other pairs walk
 * only the runs where both masks are: each list is entered by binary search at the other's
 * first pixel, and left at the other's last. The intersection is the same integer as rleIou's,
 * and i / (areaA + areaB - i) the same double.
 */
import { LONG_COUNT, packCounts, type CountsStore } from '../mask/counts-store.js';
import type { RleStore } from '../mask/rle-store.js';
import { countsProblem } from '../mask/rle-string.js';
import type { IouSource, ScoringDets, ScoringGt } from './match.js';
import { LOWEST_MATCHING_IOU } from './params.js';

/**
 * Below this bound a pair's IoU is below the lowest threshold: the bound is a double computed
 * from integers, and the margin keeps a pair within 1e-9 of the threshold out of doubt (it is walked).
 */
const CANNOT_MATCH = LOWEST_MATCHING_IOU * (1 - 1e-9);

export class MaskIou implements IouSource {
  /** One detection mask's counts, decoded (reused). */
  private counts = new Uint32Array(1 << 12);
  /**
   * The group's masks' foreground runs: mask k's are [first[k], first[k] + runs[k]). Room from
   * the start for what groups need in practice (a page is touched only once used): growing is
   * a branch taken late, and one taken first in optimized code sends it back to the interpreter.
   */
  private runStart = new Float64Array(1 << 18);
  private runEnd = new Float64Array(1 << 18);
  private used = 0;
  private first = new Int32Array(1024);
  private runs = new Int32Array(1024);
  private areas = new Float64Array(1024);
  /** Per mask: first and last column, first and last row (an empty mask: +inf, -inf). */
  private box = new Float64Array(4 * 1024);
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
    const h = this.gt.imageHeight[img]!;
    this.start(nd + ng);
    for (let d = 0; d < nd; d++) this.decode(d, order[d0 + d]!, img);
    for (let j = 0; j < ng; j++) this.keep(nd + j, this.gtStore.packed(this.gtMask[g0 + j]!), h);
    const box = this.box;
    const areas = this.areas;
    for (let d = 0; d < nd; d++) {
      for (let j = 0; j < ng; j++) {
        const a = 4 * d;
        const b = 4 * (nd + j);
        // Masks whose boxes do not overlap share no pixel (and an empty mask's box is empty).
        if (box[a]! > box[b + 1]! || box[b]! > box[a + 1]! || box[a + 2]! > box[b + 3]! || box[b + 2]! > box[a + 3]!) iou[d * ng + j] = 0;
        else {
          // They share at most the smaller area, and at most the overlap of their boxes.
          const areaA = areas[d]!;
          const areaB = areas[nd + j]!;
          const inBoxes = (Math.min(box[a + 1]!, box[b + 1]!) - Math.max(box[a]!, box[b]!) + 1) * (Math.min(box[a + 3]!, box[b + 3]!) - Math.max(box[a + 2]!, box[b + 2]!) + 1);
          const most = Math.min(areaA, areaB, inBoxes);
          if (most / (areaA + areaB - most) < CANNOT_MATCH) iou[d * ng + j] = 0;
          else {
            const i = this.intersection(d, nd + j);
            iou[d * ng + j] = i === 0 ? 0 : i / (areaA + areaB - i);
          }
        }
      }
    }
  }

  /**
   * Pixels masks ka and kb share: two pointers over their runs, from where the other mask
   * starts (binary search) until one list passes the other's last pixel. Mask AP's hottest loop.
   */
  private intersection(ka: number, kb: number): number {
    const rs = this.runStart;
    const re = this.runEnd;
    const ia = this.first[ka]!;
    const ea = ia + this.runs[ka]!;
    const ib = this.first[kb]!;
    const eb = ib + this.runs[kb]!;
    const lastA = re[ea - 1]!;
    const lastB = re[eb - 1]!;
    let i = firstEndingAfter(re, ia, ea, rs[ib]!);
    let j = firstEndingAfter(re, ib, eb, rs[ia]!);
    let n = 0;
    while (i < ea && j < eb) {
      const sa = rs[i]!;
      const sb = rs[j]!;
      if (sa >= lastB || sb >= lastA) break;
      const a1 = re[i]!;
      const b1 = re[j]!;
      const lo = sa > sb ? sa : sb;
      const hi = a1 < b1 ? a1 : b1;
      if (hi > lo) n += hi - lo;
      if (a1 <= b1) i++;
      else j++;
    }
    return n;
  }

  private start(n: number): void {
    this.used = 0;
    if (this.areas.length < n) {
      const cap = Math.max(n, 2 * this.areas.length);
      this.areas = new Float64Array(cap);
      this.first = new Int32Array(cap);
      this.runs = new Int32Array(cap);
      this.box = new Float64Array(4 * cap);
    }
  }

  /**
   * Decodes the mask of detection `row` as the group's mask k, and checks it (the reader only
   * checked its characters): counts that do not cover the image throw a BadMaskError.
   */
  private decode(k: number, row: number, img: number): void {
    const i = this.detMask[row]!;
    if (i < 0) throw new Error(`MaskIou: detection row ${row} has no mask kept, yet GT of its category is on its image`); // a bug
    const h = this.gt.imageHeight[img]!;
    const start = this.detStore.startOf(i);
    const room = this.detStore.maxCounts(i);
    let covered = this.decodeRuns(k, this.detStore.chunk(i), start, start + room, h);
    if (covered < 0) {
      // Anything unusual: the exact decoder, which says what is wrong.
      if (this.counts.length < room) this.counts = new Uint32Array(2 * room);
      const m = this.detStore.decodeInto(i, this.counts, 0);
      if (m < 0) throw new BadMaskError(row, countsProblem);
      const packed = new Uint16Array(3 * m);
      covered = this.keep(k, packed.subarray(0, packCounts(this.counts.subarray(0, m), packed, 0)), h);
    }
    const pixels = h * this.gt.imageWidth[img]!;
    if (covered !== pixels) throw new BadMaskError(row, `the RLE's counts add up to ${covered} pixels, but a [${h}, ${this.gt.imageWidth[img]}] mask has ${pixels}`);
  }

  /**
   * keep() straight from a compressed string s[start, end) as the store keeps it (JSON-escaped):
   * rleFrJsonStringInto's fast loop (rle-string.ts: decodeFast, the same operations) fused with
   * keep's, so that the counts are never written out and read back (decoding and keeping were
   * half of mask AP's scoring). Returns the pixels covered, or -1 for anything decodeFast does
   * not take (an escape other than \\ or \/, a character outside the alphabet, a 7-character
   * number, a cut-short end): the caller then decodes it the exact way. A hot loop, long on purpose.
   */
  private decodeRuns(k: number, s: Uint8Array, start: number, end: number, h: number): number {
    const cap = this.used + ((end - start) >> 1) + 1;
    if (this.runStart.length < cap) this.grow(cap);
    const rs = this.runStart;
    const re = this.runEnd;
    let r = this.used;
    let pos = 0;
    let area = 0;
    let row0 = Infinity;
    let row1 = -Infinity;
    let colStart = 0;
    let colEnd = 0;
    const lastRow = h - 1; // (computed here, not in the rare branch that uses it: see runStart)
    let m = 0;
    let back2 = 0; // the count two before (rleFrString adds it from the fourth count on)
    let back1 = 0;
    let p = start;
    while (p < end) {
      let ch = s[p++]!;
      if (ch === 0x5c) ch = s[p] === 0x5c || s[p] === 0x2f ? s[p++]! : 0;
      let c = ch - 48;
      if (c < 0 || c > 63) return -1;
      let x: number;
      // Most numbers (~88% of a detectron2 mask's) are one character: 5 bits, bit 0x10 the sign.
      if ((c & 0x20) === 0) x = c & 0x10 ? c - 32 : c;
      else {
        x = c & 0x1f;
        let n = 1;
        do {
          if (p >= end || n === 6) return -1;
          ch = s[p++]!;
          if (ch === 0x5c) ch = s[p] === 0x5c || s[p] === 0x2f ? s[p++]! : 0;
          c = ch - 48;
          if (c < 0 || c > 63) return -1;
          x |= (c & 0x1f) << (5 * n);
          n++;
        } while (c & 0x20);
        if (c & 0x10) x |= -1 << (5 * n);
      }
      const count = m > 2 ? (x + back2) >>> 0 : x >>> 0; // (uint) x, as C and a Uint32Array store it
      back2 = back1;
      back1 = count;
      if (m & 1 && count > 0) {
        rs[r] = pos;
        re[r++] = pos + count;
        area += count;
        if (pos >= colEnd) {
          colStart = pos - colEnd < h ? colEnd : pos - (pos % h); // (mostly the next column: a step, not a division)
          colEnd = colStart + h;
        }
        if (pos + count <= colEnd) {
          if (pos - colStart < row0) row0 = pos - colStart;
          if (pos + count - 1 - colStart > row1) row1 = pos + count - 1 - colStart;
        } else {
          row0 = 0;
          row1 = lastRow;
        }
      }
      pos += count;
      m++;
    }
    this.close(k, r, area, row0, row1, h);
    return pos;
  }

  /** Mask k of the group from its counts packed as counts-store.ts packs them (down columns of h pixels): its runs, area and box; returns the pixels its counts cover. */
  private keep(k: number, packed: Uint16Array, h: number): number {
    const cap = this.used + (packed.length >> 1) + 1;
    if (this.runStart.length < cap) this.grow(cap);
    const rs = this.runStart;
    const re = this.runEnd;
    let r = this.used;
    let pos = 0;
    let area = 0;
    let row0 = Infinity;
    let row1 = -Infinity;
    let colStart = 0;
    let colEnd = 0;
    const lastRow = h - 1;
    for (let q = 0, j = 0; q < packed.length; j++) {
      let c = packed[q++]!;
      if (c === LONG_COUNT) {
        c = packed[q]! * 65536 + packed[q + 1]!;
        q += 2;
      }
      if (j & 1 && c > 0) {
        rs[r] = pos;
        re[r++] = pos + c;
        area += c;
        // A run within one column spans its rows; one that crosses into the next column has row
        // 0 and row h - 1. The column is found only when a run starts in a new one: the next column
        // by a step, another by a remainder (a division per run was a fifth of the decoding).
        if (pos >= colEnd) {
          colStart = pos - colEnd < h ? colEnd : pos - (pos % h);
          colEnd = colStart + h;
        }
        if (pos + c <= colEnd) {
          if (pos - colStart < row0) row0 = pos - colStart;
          if (pos + c - 1 - colStart > row1) row1 = pos + c - 1 - colStart;
        } else {
          row0 = 0;
          row1 = lastRow;
        }
      }
      pos += c;
    }
    this.close(k, r, area, row0, row1, h);
    return pos;
  }

  /** Ends mask k, whose runs were written from `used` to r: its area and box (rows row0 to row1: +inf and -inf when empty). */
  private close(k: number, r: number, area: number, row0: number, row1: number, h: number): void {
    this.first[k] = this.used;
    this.runs[k] = r - this.used;
    this.areas[k] = area;
    // An empty mask's box is empty: columns +inf to -inf, as its rows already are. (Its branch
    // does no arithmetic: an empty mask is rare, and see runStart.)
    let col0 = Infinity;
    let col1 = -Infinity;
    if (r !== this.used) {
      col0 = Math.floor(this.runStart[this.used]! / h);
      col1 = Math.floor((this.runEnd[r - 1]! - 1) / h);
    }
    const box = this.box;
    box[4 * k] = col0;
    box[4 * k + 1] = col1;
    box[4 * k + 2] = row0;
    box[4 * k + 3] = row1;
    this.used = r;
  }

  private grow(cap: number): void {
    const n = Math.max(cap, 2 * this.runStart.length);
    const rs = new Float64Array(n);
    const re = new Float64Array(n);
    rs.set(this.runStart.subarray(0, this.used));
    re.set(this.runEnd.subarray(0, this.used));
    this.runStart = rs;
    this.runEnd = re;
  }
}

/** The first run in [from, to) of a sorted run list that ends after pixel p (to when none does). */
function firstEndingAfter(ends: Float64Array, from: number, to: number, p: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid]! <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
