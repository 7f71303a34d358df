/**
 * The sampler's seeded random numbers: pure-rand's xoroshiro128+ generator (a well-kept
 * package) behind the three draws the strategies need. Never Math.random: the same seed
 * gives the same draws on every machine, run and `--jobs` setting.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export class SeededRandom {
  private readonly rng: RandomGenerator;

  /** `seed` is an unsigned 32-bit integer (the `seed` option's range). */
  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed >>> 0);
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    if (n <= 1) return 0;
    return uniformInt(this.rng, 0, n - 1);
  }

  /**
   * Moves `k` uniformly drawn, distinct elements of `items[0 .. length)` to its front (a
   * partial Fisher–Yates shuffle, in place), in draw order, and returns how many were drawn
   * (min(k, length)). `onSwap(a, b)`, when given, is told about every swap of positions so
   * that a caller can keep a position index.
   */
  drawToFront(
    items: Int32Array,
    length: number,
    k: number,
    onSwap?: (posA: number, posB: number) => void,
  ): number {
    const m = Math.min(k, length);
    for (let i = 0; i < m; i++) {
      const j = i + this.int(length - i);
      if (j !== i) {
        const t = items[i]!;
        items[i] = items[j]!;
        items[j] = t;
        if (onSwap) onSwap(i, j);
      }
    }
    return m;
  }
}
