/**
 * A set of image indices with O(1) membership, removal and uniform draws: the remaining
 * candidates of the greedy loop, and the inside/outside sets of refinement.
 * Its order changes as elements are drawn or removed, deterministically.
 */
import type { SeededRandom } from './random.js';

export class CandidateSet {
  readonly items: Int32Array;
  /** Position of each image in `items`, −1 when absent (read-only for callers). */
  readonly pos: Int32Array;
  length = 0;

  constructor(imageCount: number, capacity: number) {
    this.items = new Int32Array(capacity);
    this.pos = new Int32Array(imageCount).fill(-1);
  }

  static of(imageCount: number, images: ArrayLike<number>): CandidateSet {
    const s = new CandidateSet(imageCount, images.length);
    for (let q = 0; q < images.length; q++) s.add(images[q]!);
    return s;
  }

  has(i: number): boolean {
    return this.pos[i]! >= 0;
  }

  add(i: number): void {
    if (this.pos[i]! >= 0) return;
    this.items[this.length] = i;
    this.pos[i] = this.length++;
  }

  remove(i: number): void {
    const at = this.pos[i]!;
    if (at < 0) return;
    const last = this.items[--this.length]!;
    this.items[at] = last;
    this.pos[last] = at;
    this.pos[i] = -1;
  }

  /** Replace `out` (present) by `into` (absent) in the same position. */
  replace(out: number, into: number): void {
    const at = this.pos[out]!;
    this.items[at] = into;
    this.pos[into] = at;
    this.pos[out] = -1;
  }

  /**
   * Moves min(k, length) uniformly drawn distinct members to the front, in draw order,
   * and returns how many (a partial Fisher–Yates shuffle).
   */
  drawToFront(rng: SeededRandom, k: number): number {
    const items = this.items;
    const pos = this.pos;
    return rng.drawToFront(items, this.length, k, (a, b) => {
      pos[items[a]!] = a;
      pos[items[b]!] = b;
    });
  }

  /** Swaps the members at positions a and b (both < length). */
  swapPositions(a: number, b: number): void {
    const items = this.items;
    const x = items[a]!;
    items[a] = items[b]!;
    items[b] = x;
    this.pos[items[a]!] = a;
    this.pos[items[b]!] = b;
  }

  /** Remove every member for which `pred` holds; returns how many. */
  removeWhere(pred: (i: number) => boolean): number {
    let removed = 0;
    for (let at = this.length - 1; at >= 0; at--) {
      const i = this.items[at]!;
      if (pred(i)) {
        this.remove(i);
        removed++;
      }
    }
    return removed;
  }
}
