/**
 * The original tool's metadata helpers `_cat_meta(lvis)` and `_tier_of(cat_meta, cid)`.
 *
 * The Dataset already stores each category's tier (an index into TIERS, f/c/r), so
 * `_tier_of` is `ds.categories.tier[c]` and `_cat_meta`'s `tiers` map is
 * `categoriesByTier(ds)`. Everything in the sampler works with indices into TIERS.
 */
import { TIERS, type Dataset, type Tier } from '../dataset/dataset.js';

export { TIERS };
export type { Tier };
export const TIER_COUNT = 3;

/** A value per tier, keyed by tier letter (how options and JSON artifacts spell it). */
export type PerTier<T> = Record<Tier, T>;

export function perTier<T>(make: (t: Tier, index: number) => T): PerTier<T> {
  return { f: make('f', 0), c: make('c', 1), r: make('r', 2) };
}

/** Convert a per-tier record to an array in TIERS order. */
export function tierArray(values: PerTier<number>): Float64Array {
  return Float64Array.from(TIERS, (t) => values[t]);
}

/** The original tool's `_cat_meta` `tiers` map: category indices of each tier, ascending. */
export function categoriesByTier(ds: Dataset): [number[], number[], number[]] {
  const out: [number[], number[], number[]] = [[], [], []];
  for (let c = 0; c < ds.categories.count; c++) out[ds.categories.tier[c]!]!.push(c);
  return out;
}

/** The original tool's `_tier_of`: tier index (into TIERS) of category index `c`. */
export function tierOf(ds: Dataset, c: number): number {
  return ds.categories.tier[c]!;
}

/** Bit mask of a set of tiers (bit t = TIERS[t]). */
export function tierBit(t: number): number {
  return 1 << t;
}
