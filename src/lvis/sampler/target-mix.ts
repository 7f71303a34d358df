/**
 * The original tool's `compute_target_tier_mix(classes, ann_counts, alpha=0.6)`:
 *
 *   mix_t = alpha · ann_t / Σ ann  +  (1 − alpha) · classes_t / Σ classes,   then normalised.
 *
 * LVIS's annotation share is extremely skewed towards frequent categories; blending it with
 * the class share keeps the long tail present. The normalisation is a no-op for alpha in
 * [0, 1] (both shares sum to 1) but is kept as in the original tool.
 */
import { DiagnosticError } from '../../base/diagnostic.js';
import { TIERS, perTier, type PerTier } from './tiers.js';


export interface TargetMix {
  alpha: number;
  /** The target share of images per tier; sums to 1. */
  mix: PerTier<number>;
  annotationShare: PerTier<number>;
  classShare: PerTier<number>;
}

export function computeTargetTierMix(
  classes: PerTier<number>,
  annCounts: PerTier<number>,
  alpha: number,
): TargetMix {
  const clsSum = classes.f + classes.c + classes.r;
  const annSum = annCounts.f + annCounts.c + annCounts.r;
  if (clsSum <= 0 || annSum <= 0) {
    throw new DiagnosticError([
      {
        severity: 'error',
        message:
          `target-mix: the dataset has ${clsSum} categories and ${annSum} annotations; ` +
          'a target tier mix needs at least one of each',
      },
    ]);
  }
  const classShare = perTier((t) => classes[t] / clsSum);
  const annotationShare = perTier((t) => annCounts[t] / annSum);
  const raw = perTier((t) => alpha * annotationShare[t] + (1 - alpha) * classShare[t]);
  const sum = raw.f + raw.c + raw.r;
  return { alpha, mix: perTier((t) => raw[t] / sum), annotationShare, classShare };
}

export function formatTargetMix(m: TargetMix): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return TIERS.map(
    (t) =>
      `${t}: target ${pct(m.mix[t])} (annotation share ${pct(m.annotationShare[t])}, ` +
      `class share ${pct(m.classShare[t])})`,
  ).join('\n');
}

