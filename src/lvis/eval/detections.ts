/**
 * Detections in growable typed columns, fed one at a time (a streaming JSON reader calls
 * `add` per element, so no object per detection is ever kept: 1M detections take ~70 MB, plus
 * their masks as compressed strings in an RleStore). Each detection is validated against the GT
 * as it is added; a bad one is not stored and is reported with its 0-based position in the
 * results list, which is what a caller needs to add the file and byte offset.
 *
 * A detection of a category the GT does not have is stored (as category -1): the API drops it
 * only after its 300-per-image cut, where it still takes a place (select.ts).
 */
import type { RleStore } from '../mask/rle-store.js';
import type { GtIndex } from './gt-index.js';
import { ProblemList, type InputProblem } from './problems.js';

/** Flags of a detection: which members it had. */
export const HAS_BOX = 1;
export const HAS_SEGMENTATION = 2;

/** Read-only views of the stored detections, in the order they were added. */
export interface DetectionData {
  count: number;
  /** Image index (into GtIndex.imageIds). */
  image: Int32Array;
  /** Category index (into GtIndex.categoryIds); -1 for a category the GT does not have. */
  category: Int32Array;
  /** [x, y, w, h] of detection i at [4i, 4i+4): its `bbox`, or its mask's box without one. */
  box: Float64Array;
  score: Float64Array;
  /** The area the API tests area ranges on (areas.ts), once set; else w*h of the box. */
  area: Float64Array;
  /** HAS_BOX | HAS_SEGMENTATION. */
  flags: Uint8Array;
  /** Pixels of the mask, where it was read (NaN elsewhere). */
  maskArea: Float64Array;
  /** With masks stored: each detection's mask in `masks` (-1: none; -2: one not kept, detection-masks.ts). */
  mask?: Int32Array;
  masks?: RleStore;
  /** Byte offset of each detection in its file (NaN: not from a file). */
  offset: Float64Array;
}

/** What one detection has, besides its ids and score. */
export interface DetectionExtras {
  flags: number;
  maskArea?: number;
  mask?: number;
  /** Its byte offset in the file, for errors found later (a mask checked when decoded). */
  offset?: number;
}

const NO_EXTRAS: DetectionExtras = { flags: HAS_BOX };

export class DetectionColumns {
  readonly gt: GtIndex;
  /** Every bad detection seen (the first few listed); evaluation refuses to run while any exist. */
  readonly problems = new ProblemList();
  /** Detections of categories the GT does not have (stored, as category -1). */
  unknownCategories = 0;
  masks: RleStore | undefined;
  private n = 0;
  private next = 0;
  private image: Int32Array;
  private category: Int32Array;
  private box: Float64Array;
  private score: Float64Array;
  private area: Float64Array | undefined;
  private flags: Uint8Array;
  private maskArea: Float64Array;
  private mask: Int32Array;
  private offset: Float64Array;

  constructor(gt: GtIndex, initialCapacity = 4096) {
    this.gt = gt;
    const cap = Math.max(1, initialCapacity);
    this.image = new Int32Array(cap);
    this.category = new Int32Array(cap);
    this.box = new Float64Array(4 * cap);
    this.score = new Float64Array(cap);
    this.flags = new Uint8Array(cap);
    this.maskArea = new Float64Array(cap);
    this.mask = new Int32Array(cap);
    this.offset = new Float64Array(cap);
  }

  /** Detections stored. */
  get length(): number {
    return this.n;
  }

  /** Detections seen, good or bad: the index the next one gets. */
  get seen(): number {
    return this.next;
  }

  /**
   * Appends one detection (x, y, w, h: its bbox, or its mask's box when extras.flags lacks
   * HAS_BOX); returns what is wrong with it (and records that in `problems`) or undefined when
   * it was stored.
   */
  add(imageId: number, categoryId: number, x: number, y: number, w: number, h: number, score: number, extras = NO_EXTRAS): InputProblem | undefined {
    const index = this.next++;
    const message = this.check(imageId, x, y, w, h, score);
    if (message !== undefined) return this.record(index, message);
    if (this.n === this.score.length) this.grow();
    const i = this.n++;
    this.image[i] = this.gt.imageIndex.get(imageId);
    const category = this.gt.categoryIndex.get(categoryId);
    if (category < 0) this.unknownCategories++;
    this.category[i] = category;
    const b = 4 * i;
    this.box[b] = x;
    this.box[b + 1] = y;
    this.box[b + 2] = w;
    this.box[b + 3] = h;
    this.score[i] = score;
    this.flags[i] = extras.flags;
    this.maskArea[i] = extras.maskArea ?? NaN;
    this.mask[i] = extras.mask ?? -1;
    this.offset[i] = extras.offset ?? NaN;
    return undefined;
  }

  /**
   * Counts a detection that a reader could not even turn into numbers (a missing field, a
   * bbox of 3 values): it takes its index like any other and is reported with `message`.
   */
  reject(message: string): InputProblem {
    return this.record(this.next++, message);
  }

  /** Appends one parsed element of a results file ({image_id, category_id, bbox, score}; a segmentation is noted, not read). */
  addJson(det: unknown): InputProblem | undefined {
    if (typeof det !== 'object' || det === null || Array.isArray(det)) return this.reject(`expected an object {"image_id", "category_id", "bbox", "score"}, found ${preview(det)}`);
    const d = det as Record<string, unknown>;
    for (const field of ['image_id', 'category_id', 'score'] as const) {
      if (typeof d[field] !== 'number') return this.reject(`"${field}" must be a number, found ${preview(d[field])}`);
    }
    const b = d.bbox;
    if (!Array.isArray(b) || b.length !== 4 || !b.every((v) => typeof v === 'number')) {
      return this.reject(`"bbox" must be 4 finite numbers [x, y, w, h], found ${preview(b)}`);
    }
    const flags = HAS_BOX | ('segmentation' in d ? HAS_SEGMENTATION : 0);
    return this.add(d.image_id as number, d.category_id as number, b[0], b[1], b[2], b[3], d.score as number, { flags });
  }

  /** Throws a DiagnosticError listing the bad detections, if there were any. */
  throwIfInvalid(): void {
    this.problems.throwIfAny();
  }

  /** Sets the area of every detection (areas.ts); until then it is w*h of the box. */
  setAreas(area: Float64Array): void {
    this.area = area;
  }

  /** Views of the stored columns (valid until the next add). */
  data(): DetectionData {
    const n = this.n;
    const box = this.box.subarray(0, 4 * n);
    return {
      count: n,
      image: this.image.subarray(0, n),
      category: this.category.subarray(0, n),
      box,
      score: this.score.subarray(0, n),
      area: this.area?.subarray(0, n) ?? boxAreas(box, n),
      flags: this.flags.subarray(0, n),
      maskArea: this.maskArea.subarray(0, n),
      offset: this.offset.subarray(0, n),
      ...(this.masks ? { mask: this.mask.subarray(0, n), masks: this.masks } : {}),
    };
  }

  /** Detections from a parsed results list; throws DiagnosticError if any is bad. */
  static fromJson(gt: GtIndex, list: unknown): DetectionColumns {
    const cols = new DetectionColumns(gt, Array.isArray(list) ? list.length : 1);
    if (!Array.isArray(list)) {
      cols.reject(`the results must be a JSON array of detections, found ${preview(list)}`);
    } else {
      for (const det of list) cols.addJson(det);
    }
    cols.throwIfInvalid();
    return cols;
  }

  private check(imageId: number, x: number, y: number, w: number, h: number, score: number): string | undefined {
    if (this.gt.imageIndex.get(imageId) < 0) return `"image_id" ${imageId} is not an image of the GT (the LVIS API rejects results for images outside its GT)`;
    return boxAndScoreProblem(x, y, w, h, score);
  }

  private record(index: number, message: string): InputProblem {
    const problem: InputProblem = { kind: 'detection', index, message };
    this.problems.add(problem);
    return problem;
  }

  private grow(): void {
    const cap = this.score.length * 2;
    const grown = <T extends Int32Array | Float64Array | Uint8Array>(a: T, per = 1): T => {
      const b = new (a.constructor as new (n: number) => T)(per * cap);
      b.set(a);
      return b;
    };
    this.image = grown(this.image);
    this.category = grown(this.category);
    this.box = grown(this.box, 4);
    this.score = grown(this.score);
    this.flags = grown(this.flags);
    this.maskArea = grown(this.maskArea);
    this.mask = grown(this.mask);
    this.offset = grown(this.offset);
  }
}

/** What is wrong with a detection's box (x, y, w, h) and score, or undefined. */
export function boxAndScoreProblem(x: number, y: number, w: number, h: number, score: number): string | undefined {
  if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(w) && Number.isFinite(h))) {
    return `"bbox" must be 4 finite numbers [x, y, w, h], found [${x}, ${y}, ${w}, ${h}]`;
  }
  if (w < 0 || h < 0) return `"bbox" width and height must be >= 0, found [${x}, ${y}, ${w}, ${h}]`;
  if (!Number.isFinite(score)) return `"score" must be a finite number, found ${score}`;
  return undefined;
}

/** w*h of each box (LVISResults' area of a detection with a bbox). */
export function boxAreas(box: Float64Array, n: number): Float64Array {
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) area[i] = box[4 * i + 2]! * box[4 * i + 3]!;
  return area;
}

function preview(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
