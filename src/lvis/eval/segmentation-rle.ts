/**
 * A `segmentation` as the run-length mask lvis-api scores: `LVIS.ann_to_rle`, which calls
 * pycocotools' `frPyObjects` and then `merge` for a list, and keeps a compressed RLE as it is.
 *
 * - A list of polygons: each ring rasterised by rleFrPoly (a ring of an odd count of numbers
 *   loses its last one, as `int(len(p)/2)` does), then their union.
 * - pycocotools' quirk: when the list's FIRST ring has exactly 4 numbers, frPyObjects reads the
 *   list as boxes [x, y, w, h] (frBbox). With JSON lists, which lvis-api passes, pycocotools
 *   (2.0.x and cocoapi 8c9bcc3) then stops with `TypeError: Argument 'bb' has incorrect type`;
 *   here the boxes are drawn as frBbox draws them, and the caller says so.
 * - An RLE object with `counts` as a list (uncompressed) or a compressed string; its `size`
 *   must be the image's [height, width] (pycocotools would give IoU -1 or 0 with any other).
 * - A list of uncompressed RLE objects: their union (frPyObjects, then merge).
 * Every run list must cover the image exactly (counts summing to height × width): pycocotools
 * does not check, and its IoU loop never ends on one that does not.
 */
import { rleFrBbox, rleFrPoly, polygonProblem } from '../mask/rle-poly.js';
import { rleMerge } from '../mask/rle-merge.js';
import { countsProblem, rleFrStringInto } from '../mask/rle-string.js';
import type { RleJson, SegmentationJson } from './segmentation-json.js';

/** Decoded counts of a compressed RLE, reused by the next call (SegmentationMask.counts says so). */
let scratch = new Uint32Array(1024);

export interface SegmentationMask {
  /** The run lengths: valid until the next call (copy what you keep). */
  counts: Uint32Array;
  /** The compressed string the segmentation gave, when it was one (stored as it is). */
  string?: { bytes: Uint8Array; start: number; end: number };
}

/** What ann_to_rle does that a user should hear about, counted over a file. */
export interface SegmentationQuirks {
  /** Segmentations read as boxes because their first ring has 4 numbers (the real API stops on them). */
  boxLists: number;
  /** Rings with an odd count of numbers (the last one is not used). */
  oddRings: number;
}

export function newQuirks(): SegmentationQuirks {
  return { boxLists: 0, oddRings: 0 };
}

/** The mask of `seg` on an h × w image, or what is wrong with it. */
export function segmentationToRle(seg: SegmentationJson, h: number, w: number, quirks: SegmentationQuirks): SegmentationMask | string {
  switch (seg.kind) {
    case 'problem':
      return seg.problem;
    case 'polygons':
      return polygonsToRle(seg.rings, h, w, quirks);
    case 'rle':
      return rleOf(seg.rle, h, w);
    case 'rle-list':
      return rleListToRle(seg.rles, h, w);
  }
}

function polygonsToRle(rings: ArrayLike<number>[], h: number, w: number, quirks: SegmentationQuirks): SegmentationMask | string {
  const first = rings[0]!.length;
  if (first < 4) {
    return `the first polygon of "segmentation" has ${first} number${first === 1 ? '' : 's'}: pycocotools cannot read it (a polygon needs 3 points, 6 numbers), and the LVIS API stops on it`;
  }
  const parts: Uint32Array[] = [];
  if (first === 4) {
    const odd = rings.findIndex((r) => r.length !== 4);
    if (odd >= 0) return `the first polygon of "segmentation" has 4 numbers, which pycocotools reads as a box [x, y, w, h], but polygon #${odd} has ${rings[odd]!.length}`;
    quirks.boxLists++;
    for (let i = 0; i < rings.length; i++) {
      const r = rings[i]!;
      const counts = rleFrBbox(r, 0, h, w);
      if (!counts) return `box #${i} of "segmentation": ${polygonProblem}`;
      parts.push(rings.length === 1 ? counts : counts.slice()); // (the rasteriser reuses its buffer)
    }
  } else {
    for (let i = 0; i < rings.length; i++) {
      const r = rings[i]!;
      if (r.length % 2 === 1) quirks.oddRings++;
      const counts = rleFrPoly(r, Math.floor(r.length / 2), h, w);
      if (!counts) return `polygon #${i} of "segmentation": ${polygonProblem}`;
      parts.push(rings.length === 1 ? counts : counts.slice());
    }
  }
  return { counts: parts.length === 1 ? parts[0]! : rleMerge(parts, h, w) };
}

function rleOf(rle: RleJson, h: number, w: number): SegmentationMask | string {
  const [rh, rw] = rle.size!;
  if (rh !== h || rw !== w) return `the RLE's "size" is [${rh}, ${rw}], but the image is [${h}, ${w}] (height, width)`;
  let counts: Uint32Array;
  if (rle.string) {
    const { bytes, start, end } = rle.string;
    if (scratch.length < end - start) scratch = new Uint32Array(2 * (end - start));
    const m = rleFrStringInto(bytes, start, end, scratch, 0);
    if (m < 0) return countsProblem;
    counts = scratch.subarray(0, m);
  } else {
    if (rle.list!.some((v) => v > 0xffffffff)) return `"counts" has a number above 2^32 - 1, which pycocotools cannot hold`;
    counts = Uint32Array.from(rle.list!);
  }
  const problem = coverageProblem(counts, h, w);
  if (problem) return problem;
  return rle.string ? { counts, string: rle.string } : { counts };
}

function rleListToRle(rles: RleJson[], h: number, w: number): SegmentationMask | string {
  const parts: Uint32Array[] = [];
  for (const [i, rle] of rles.entries()) {
    if (rle.string) return `RLE #${i} of "segmentation" has compressed "counts": in a list, pycocotools reads only uncompressed ones (a list of numbers)`;
    const one = rleOf(rle, h, w);
    if (typeof one === 'string') return `RLE #${i} of "segmentation": ${one}`;
    parts.push(one.counts);
  }
  return { counts: rleMerge(parts, h, w) };
}

/** Why the counts do not cover an h × w image exactly, or undefined. */
export function coverageProblem(counts: Uint32Array, h: number, w: number): string | undefined {
  let sum = 0;
  for (let j = 0; j < counts.length; j++) sum += counts[j]!;
  if (sum === h * w && counts.length > 0) return undefined;
  return `the RLE's counts add up to ${sum} pixels, but a [${h}, ${w}] mask has ${h * w}`;
}
