/**
 * Tier image budgets, as the original tool allocates them:
 *
 *   B_c = round(mix_c · N),  B_f = round(mix_f · N),  B_r = N − B_c − B_f
 *
 * so they sum to N exactly. `round` is Python's: halves go to the even neighbour
 * (round(2.5) = 2), which `roundHalfEven` reproduces. B_r can only come out negative when
 * mix_r · N < 1 and both others round up; it is then set to 0 and the deficit is taken from
 * the larger of B_c and B_f, so the budgets still sum to N.
 */
import { TIER_INDEX } from '../dataset/dataset.js';
import type { PerTier } from './tiers.js';

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Budgets in TIERS order (f, c, r). */
export function tierBudgets(mix: PerTier<number>, totalImages: number): Int32Array {
  let c = roundHalfEven(mix.c * totalImages);
  let f = roundHalfEven(mix.f * totalImages);
  let r = totalImages - c - f;
  if (r < 0) {
    if (f >= c) f += r;
    else c += r;
    r = 0;
  }
  const out = new Int32Array(3);
  out[TIER_INDEX.f] = f;
  out[TIER_INDEX.c] = c;
  out[TIER_INDEX.r] = r;
  return out;
}
