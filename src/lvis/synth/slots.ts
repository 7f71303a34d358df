/** What both co-occurrence models (plan.ts `dealByTopic`, scenes.ts `dealScenes`) give the plan, and a helper they share. */
import type { Rng } from './random.js';

/** Which categories each image shows, its topic, and (scenes) a weight for its share of instances. */
export interface DealtCategories {
  topic: Int32Array;
  /** Per image: its categories, distinct, in any order. */
  chosen: number[][];
  /** Per image: multiplies the gamma weights of its pairs when instances are shared out (null: 1 for all). */
  instanceWeight: Float64Array | null;
}

/** Adds or removes single slots of random non-empty images (`order[0 .. nonEmpty)`) until they sum to `total`. */
export function matchSlotTotal(rng: Rng, order: Int32Array, nonEmpty: number, slots: Int32Array, total: number, max: number): void {
  let sum = 0;
  for (let r = 0; r < nonEmpty; r++) sum += slots[order[r]!]!;
  while (sum < total) {
    const i = order[rng.int(nonEmpty)]!;
    if (slots[i]! < max) (slots[i]!++, sum++);
  }
  while (sum > total) {
    const i = order[rng.int(nonEmpty)]!;
    if (slots[i]! > 1) (slots[i]!--, sum--);
  }
}
