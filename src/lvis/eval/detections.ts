/**
 * Detections in growable typed columns, fed one at a time (a streaming JSON reader calls
 * `add` per element, so no object per detection is ever kept: 1M detections take ~48 MB).
 * Each detection is validated against the GT as it is added; a bad one is not stored and is
 * reported with its 0-based position in the results list, which is what a caller needs to
 * add the file and byte offset.
 */
import type { GtIndex } from './gt-index.js';
import { ProblemList, type InputProblem } from './problems.js';

/** Read-only views of the stored detections, in the order they were added. */
export interface DetectionData {
  count: number;
  /** Image index (into GtIndex.imageIds). */
  image: Int32Array;
  /** Category index (into GtIndex.categoryIds). */
  category: Int32Array;
  /** [x, y, w, h] of detection i at [4i, 4i+4). */
  box: Float64Array;
  score: Float64Array;
}

export class DetectionColumns {
  readonly gt: GtIndex;
  /** Every bad detection seen (the first few listed); evaluation refuses to run while any exist. */
  readonly problems = new ProblemList();
  private n = 0;
  private next = 0;
  private image: Int32Array;
  private category: Int32Array;
  private box: Float64Array;
  private score: Float64Array;

  constructor(gt: GtIndex, initialCapacity = 4096) {
    this.gt = gt;
    const cap = Math.max(1, initialCapacity);
    this.image = new Int32Array(cap);
    this.category = new Int32Array(cap);
    this.box = new Float64Array(4 * cap);
    this.score = new Float64Array(cap);
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
   * Appends one detection; returns what is wrong with it (and records that in `problems`)
   * or undefined when it was stored.
   */
  add(imageId: number, categoryId: number, x: number, y: number, w: number, h: number, score: number): InputProblem | undefined {
    const index = this.next++;
    const message = this.check(imageId, categoryId, x, y, w, h, score);
    if (message !== undefined) return this.record(index, message);
    if (this.n === this.score.length) this.grow();
    const i = this.n++;
    this.image[i] = this.gt.imageIndex.get(imageId)!;
    this.category[i] = this.gt.categoryIndex.get(categoryId)!;
    const b = 4 * i;
    this.box[b] = x;
    this.box[b + 1] = y;
    this.box[b + 2] = w;
    this.box[b + 3] = h;
    this.score[i] = score;
    return undefined;
  }

  /**
   * Counts a detection that a reader could not even turn into numbers (a missing field, a
   * bbox of 3 values): it takes its index like any other and is reported with `message`.
   */
  reject(message: string): InputProblem {
    return this.record(this.next++, message);
  }

  /** Appends one parsed element of a results file ({image_id, category_id, bbox, score}). */
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
    return this.add(d.image_id as number, d.category_id as number, b[0], b[1], b[2], b[3], d.score as number);
  }

  /** Throws a DiagnosticError listing the bad detections, if there were any. */
  throwIfInvalid(): void {
    this.problems.throwIfAny();
  }

  /** Views of the stored columns (valid until the next add). */
  data(): DetectionData {
    return {
      count: this.n,
      image: this.image.subarray(0, this.n),
      category: this.category.subarray(0, this.n),
      box: this.box.subarray(0, 4 * this.n),
      score: this.score.subarray(0, this.n),
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

  private check(imageId: number, categoryId: number, x: number, y: number, w: number, h: number, score: number): string | undefined {
    if (!this.gt.imageIndex.has(imageId)) return `"image_id" ${imageId} is not an image of the GT (the LVIS API rejects results for images outside its GT)`;
    if (!this.gt.categoryIndex.has(categoryId)) return `"category_id" ${categoryId} is not a category of the GT`;
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(w) && Number.isFinite(h))) {
      return `"bbox" must be 4 finite numbers [x, y, w, h], found [${x}, ${y}, ${w}, ${h}]`;
    }
    if (w < 0 || h < 0) return `"bbox" width and height must be >= 0, found [${x}, ${y}, ${w}, ${h}]`;
    if (!Number.isFinite(score)) return `"score" must be a finite number, found ${score}`;
    return undefined;
  }

  private record(index: number, message: string): InputProblem {
    const problem: InputProblem = { kind: 'detection', index, message };
    this.problems.add(problem);
    return problem;
  }

  private grow(): void {
    const cap = this.score.length * 2;
    const image = new Int32Array(cap);
    image.set(this.image);
    this.image = image;
    const category = new Int32Array(cap);
    category.set(this.category);
    this.category = category;
    const box = new Float64Array(4 * cap);
    box.set(this.box);
    this.box = box;
    const score = new Float64Array(cap);
    score.set(this.score);
    this.score = score;
  }
}

function preview(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
