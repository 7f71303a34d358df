/**
 * What the greedy sampler tells the user in its log, in plain words: each note says what
 * happened, with its numbers, and names the option that decides it. (The tier-mix notes are in
 * tier-notes.ts.)
 */
import type { GuardEvent } from './greedy.js';
import type { RareQuotas } from './quotas.js';

const NAMES = ['frequent', 'common', 'rare'] as const;
const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The runaway guard fired for a tier: once the tier had more images than its budget plus
 * runaway_slack, images whose annotations are all of that tier stopped being candidates
 * (the original tool's rule; images that also show another tier stay).
 */
export function guardNote(e: GuardEvent, budget: number, slack: number): string {
  const tier = NAMES[e.tier]!;
  return (
    `runaway guard: the ${tier} tier passed ${fmt(e.limit)} images (its budget of ${fmt(budget)} plus runaway_slack = ` +
    `${Math.round(100 * slack)}%) when the subset had ${fmt(e.atSize)} images, so the ${fmt(e.removed)} remaining images ` +
    `with only ${tier} categories were no longer considered (images that also show another tier still were)`
  );
}

/** The greedy ran out of candidates before total_images. */
export function exhaustedNote(size: number): string {
  return `the sample stopped at ${fmt(size)} images: the runaway guard had set aside every image still unpicked`;
}

/**
 * How the rare quotas were made, when it matters: min(rare_cap, images) per class, rescaled so
 * that they sum to the rare tier's budget, rounded down (and at least 1 under the cover). Said
 * when a quota ends above rare_cap, or when the rescaling lowers them, so that "quota 3" beside
 * `rare_cap: 2` is not a surprise.
 */
export function quotaNote(q: RareQuotas, target: number, final: Int32Array, coverFloor: boolean): string | undefined {
  const cappedSum = q.capped.reduce((a, b) => a + b, 0);
  if (cappedSum === 0) return undefined;
  let max = 0;
  for (const c of q.categoryIndex) max = Math.max(max, final[c]!);
  if (max <= q.rareCap && Math.abs(target - cappedSum) < 1) return undefined;
  const factor = target / cappedSum;
  return (
    `rare quotas: each rare class's quota is min(rare_cap = ${q.rareCap}, its images), rescaled ×${factor.toFixed(2)} so that ` +
    `they sum to ${fmt(target)} images (${q.target === 'budget' ? "the rare tier's budget" : 'target_rare_images'}) and rounded down` +
    (coverFloor ? ', at least 1 (the cover gives every rare class an image)' : '') +
    `: quotas run to ${max}${max > q.rareCap ? `, above rare_cap` : ''} (the cap is soft, as in the original tool)`
  );
}
