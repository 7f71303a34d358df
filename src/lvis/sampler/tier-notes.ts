/**
 * Plain-words notes on the tier mix of a greedy sample: where it ends up away from the target
 * (target-mix's alpha), why, and the knob that decides. Each cause is said once.
 *
 * 1. Coverage against the target: the cover phase alone puts more images in a tier than the
 *    tier's budget (at 2,000 of 100k images the rare categories need ~330 images, the rare
 *    tier's budget is 229). `cover` decides.
 * 2. Fidelity against the target: a tier ends more than a fifth away from its target share
 *    for another reason. The target blends the full set's annotation shares with its class
 *    shares (alpha), so it departs from the full set on purpose, while the class×size terms
 *    (λ_share, tier_weights) pull toward the full set; λ_tier weighs the target.
 */
import type { QualityReport } from './quality.js';
import { TIER_INDEX } from '../dataset/dataset.js';
import { TIERS, type PerTier } from './tiers.js';

const NAMES = { f: 'frequent', c: 'common', r: 'rare' } as const;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export interface TierNoteInputs {
  /** The cover phase's images, and how many of them count for each tier (absent: no cover). */
  cover?: { images: number; tierImages: PerTier<number> };
  budgets: Int32Array;
  report: QualityReport;
  totalImages: number;
  opts: { lambdaTier: number; lambdaShare: number; mismatch: string };
  alpha: number;
}

export function tierMixNotes(x: TierNoteInputs): string[] {
  const m = x.report.metrics;
  const notes: string[] = [];
  const explained = new Set<string>();
  const over: string[] = [];
  for (const t of TIERS) {
    const budget = x.budgets[TIER_INDEX[t]]!;
    if (!x.cover || x.cover.tierImages[t] <= budget) continue;
    explained.add(t);
    over.push(
      `${x.cover.tierImages[t]} of them count for the ${NAMES[t]} tier, more than its budget of ${budget} images ` +
        `(its target ${pct(m[`tier_target_${t}`]!)} of total_images = ${x.totalImages}), so the ${NAMES[t]} tier ends at ` +
        `${pct(m[`tier_share_${t}`]!)} of the images`,
    );
  }
  if (over.length > 0) {
    notes.push(
      `tier mix vs coverage: covering every category took ${x.cover!.images} images; ${over.join('; ')}. ` +
        'Coverage wins because `cover` is true; `cover: false` keeps closer to the tier target but leaves categories out. ' +
        `The target comes from target-mix's alpha = ${x.alpha}; a larger total_images gives the tiers room.`,
    );
  }
  const off: string[] = [];
  for (const t of TIERS) {
    if (explained.has(t)) continue;
    const share = m[`tier_share_${t}`]!;
    const target = m[`tier_target_${t}`]!;
    if (Math.abs(share - target) > 0.2 * target && Math.abs(share - target) > 0.01) {
      off.push(`${NAMES[t]} ${pct(share)} of the images against its target ${pct(target)}`);
    }
  }
  if (off.length > 0) {
    const fidelity =
      x.opts.mismatch === 'js'
        ? "the class×size term (`mismatch: js`, which measures every key against the full set's counts) pulls toward the full set's tier shares"
        : x.opts.mismatch === 'chi2'
          ? `the class×size fidelity terms (lambda_share = ${x.opts.lambdaShare}, tier_weights) pull toward the full set's tier shares`
          : 'the class×size term (tier_weights) pulls elsewhere';
    notes.push(
      `tier mix vs fidelity: ${off.join(', ')}. The target (target-mix's alpha = ${x.alpha}) departs from the full set on purpose; ` +
        `${fidelity}, and lambda_tier = ${x.opts.lambdaTier} weighs the target: raise lambda_tier to get closer to it ` +
        '(`lvis-pipe sweep PIPELINE --grid lambda_tier=3,10,30` shows what it does to js_divergence).',
    );
  }
  return notes;
}
