/**
 * The original tool's `compute_tier_stats(lvis)`: how skewed the dataset is, per frequency tier.
 */
import type { Dataset } from '../dataset/dataset.js';
import { TIERS, perTier, type PerTier } from './tiers.js';


export interface TierStats {
  /** Categories per tier (the original tool's `classes`). */
  classes: PerTier<number>;
  /** Annotations per tier (the original tool's `ann_counts`). */
  annotations: PerTier<number>;
  /** Images with at least one annotation of the tier (the original tool's `images`). */
  images: PerTier<number>;
  totals: {
    classes: number;
    annotations: number;
    /** All images, with or without annotations (the original tool's `len(lvis.imgs)`). */
    images: number;
    /** Images with at least one annotation (the only ones any strategy can sample). */
    imagesWithAnnotations: number;
  };
}

export function computeTierStats(ds: Dataset): TierStats {
  const tierOfCat = ds.categories.tier;
  const classes = [0, 0, 0];
  for (let c = 0; c < ds.categories.count; c++) classes[tierOfCat[c]!]!++;

  const annotations = [0, 0, 0];
  const images = [0, 0, 0];
  let withAnnotations = 0;
  const { annOffsets, annIndex } = ds.images;
  const annCategory = ds.annotations.category;
  for (let i = 0; i < ds.images.count; i++) {
    const start = annOffsets[i]!;
    const end = annOffsets[i + 1]!;
    if (end > start) withAnnotations++;
    let mask = 0;
    for (let k = start; k < end; k++) {
      const t = tierOfCat[annCategory[annIndex[k]!]!]!;
      annotations[t]!++;
      mask |= 1 << t;
    }
    for (let t = 0; t < 3; t++) if (mask & (1 << t)) images[t]!++;
  }
  return {
    classes: perTier((_, t) => classes[t]!),
    annotations: perTier((_, t) => annotations[t]!),
    images: perTier((_, t) => images[t]!),
    totals: {
      classes: ds.categories.count,
      annotations: annotations[0]! + annotations[1]! + annotations[2]!,
      images: ds.images.count,
      imagesWithAnnotations: withAnnotations,
    },
  };
}

export function formatTierStats(s: TierStats): string {
  const rows = TIERS.map(
    (t) => `${t}: ${s.classes[t]} categories, ${s.annotations[t]} annotations, ${s.images[t]} images`,
  );
  rows.push(
    `total: ${s.totals.classes} categories, ${s.totals.annotations} annotations, ` +
      `${s.totals.images} images (${s.totals.imagesWithAnnotations} with annotations)`,
  );
  return rows.join('\n');
}

