/**
 * What the chart builders take and give. These are the charts' own small, plain shapes; the
 * `plot` step (src/steps/plot.ts) maps the sampler's artifacts onto them, so that the builders
 * stay pure functions (data in, Vega-Lite spec out) that tests can feed directly.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Tier } from '../dataset/dataset.js';

/** The (category, size) buckets, in display order. */
export const SIZE_BUCKETS = ['S', 'M', 'L'] as const;
export type SizeBucket = (typeof SIZE_BUCKETS)[number];

/** One tier's counts in one split (the `stats` step's per-tier numbers). */
export interface TierCounts {
  tier: Tier;
  categories: number;
  annotations: number;
  /** Images with at least one annotation of this tier. */
  images: number;
}

/** A named set of images (train, val, the subset, ...) and its per-tier counts and totals. */
export interface SplitTierStats {
  name: string;
  tiers: TierCounts[];
  totals: { categories: number; annotations: number; images: number };
}

/** One (category, size) key: its share of all keyed annotations in the full set and in the subset. */
export interface KeyShare {
  categoryId: number;
  categoryName: string;
  tier: Tier;
  size: SizeBucket;
  fullShare: number;
  subsetShare: number;
}

/** One tier's share of S, M or L annotations (shares sum to 1 over the sizes of a tier). */
export interface TierSizeShare {
  tier: Tier;
  size: SizeBucket;
  full: number;
  subset: number;
}

/** One point of the sampler's objective trace. */
export interface ObjectivePoint {
  /** 1-based iteration: images selected so far (greedy), or the refinement step. */
  iteration: number;
  /** Phase of the sampler that produced this point, e.g. `greedy` or `refine`. */
  phase: string;
  /** Named terms, e.g. { objective, class_size, tier_penalty, cap_penalty }. */
  values: Record<string, number>;
}

/** One rare category's image quota and how many selected images contain it. */
export interface RareQuotaUse {
  categoryId: number;
  categoryName: string;
  quota: number;
  /** Selected images containing the class. */
  used: number;
  /** Images containing the class in the full set (the most it can give). */
  images: number;
}

/** How the rare quotas were made: min(rare_cap, images) per class, rescaled so that they sum to `target`. */
export interface RareQuotaRescale {
  rareCap: number;
  /** The rescaling target (images): the rare tier's budget, or the quotas step's target_rare_images. */
  target: number;
  /** Σ min(rare_cap, images) before rescaling. */
  cappedSum: number;
}

export type ChartId = 'tier-bars' | 'class-size-fidelity' | 'size-shares' | 'objective' | 'rare-quotas';

/** A chart, ready to render (headless) or embed (vega-embed): the spec carries its data inline. */
export interface Chart {
  id: ChartId;
  /** File name without extension, e.g. `lvis_tiers_train_val`. */
  fileBase: string;
  title: string;
  spec: TopLevelSpec;
}

/** Every chart of a run, as the `plot` step hands them to the report. */
export interface ChartSet {
  charts: Chart[];
}
