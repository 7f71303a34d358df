/**
 * The sampler's artifacts (tier stats, sample details) as chart data. This is the one place
 * that knows both shapes, so that the chart builders stay independent of the sampler's.
 */
import { TIERS, type Tier } from '../dataset/dataset.js';
import type { ObjectiveTrace } from '../sampler/objective.js';
import type { SampleDetails } from '../sampler/sampler.js';
import type { TierStats } from '../sampler/tier-stats.js';
import type { ChartData } from './index.js';
import { SIZE_BUCKETS, type KeyShare, type ObjectivePoint, type RareQuotaUse, type SizeBucket, type SplitTierStats, type TierSizeShare } from './types.js';

export function splitFromTierStats(name: string, s: TierStats): SplitTierStats {
  return {
    name,
    tiers: TIERS.map((tier) => ({ tier, categories: s.classes[tier], annotations: s.annotations[tier], images: s.images[tier] })),
    totals: { categories: s.totals.classes, annotations: s.totals.annotations, images: s.totals.images },
  };
}

function isTier(t: string): t is Tier {
  return (TIERS as readonly string[]).includes(t);
}

function isSize(s: string): s is SizeBucket {
  return (SIZE_BUCKETS as readonly string[]).includes(s);
}

export function keySharesFromDetails(d: SampleDetails): KeyShare[] {
  const k = d.keys;
  const out: KeyShare[] = [];
  for (let i = 0; i < k.categoryId.length; i++) {
    const tier = k.tier[i]!;
    const size = k.size[i]!;
    if (!isTier(tier) || !isSize(size)) throw new Error(`sample details: key ${i} has tier ${tier} and size ${size}`);
    out.push({ categoryId: k.categoryId[i]!, categoryName: k.categoryName[i]!, tier, size, fullShare: k.fullShare[i]!, subsetShare: k.subsetShare[i]! });
  }
  return out;
}

/** S/M/L shares of every tier that has bucketed annotations in the full set. */
export function sizeSharesFromDetails(d: SampleDetails): TierSizeShare[] {
  return d.tiers.flatMap((t) => {
    if (!isTier(t.tier) || t.fullSizeShares.every((v) => v === 0)) return [];
    const tier = t.tier;
    return SIZE_BUCKETS.map((size, s) => ({ tier, size, full: t.fullSizeShares[s] ?? 0, subset: t.subsetSizeShares[s] ?? 0 }));
  });
}

/** Trace terms and their legend names (the penalties are traced before their λ weights). */
const TRACE_TERMS = [
  ['objective', 'objective'],
  ['classSize', 'class×size mismatch'],
  ['tierPenalty', 'tier-mix penalty (before λ)'],
  ['capPenalty', 'rare-cap overage (before λ)'],
  ['densityPenalty', 'density mismatch (before λ)'],
] as const;

/** The greedy picks, then the refinement iterations, numbered on from the last pick. */
export function objectiveFromDetails(d: SampleDetails): ObjectivePoint[] {
  const out: ObjectivePoint[] = [];
  const add = (trace: ObjectiveTrace, phase: string) => {
    const start = out.length;
    // A term that is zero throughout (no rare cap hit, say) adds a flat line and nothing else.
    const terms = TRACE_TERMS.filter(([k]) => trace[k].some((v) => v !== 0));
    for (let i = 0; i < trace.objective.length; i++) {
      const values: Record<string, number> = {};
      for (const [k, name] of terms) values[name] = trace[k][i]!;
      out.push({ iteration: start + i + 1, phase, values });
    }
  };
  add(d.trace.greedy, 'greedy');
  add(d.trace.refine, 'refine');
  return out;
}

export function rareQuotasFromDetails(d: SampleDetails): RareQuotaUse[] {
  const q = d.rareQuotas;
  return q.categoryId.map((categoryId, i) => ({ categoryId, categoryName: q.categoryName[i]!, quota: q.quota[i]!, used: q.used[i]!, images: q.images[i]! }));
}

/** Train first, then val when there is one: the tier bars' input. */
export function splitsFromTierStats(train: TierStats, val: TierStats | undefined): SplitTierStats[] {
  return [splitFromTierStats('train', train), ...(val ? [splitFromTierStats('val', val)] : [])];
}

/** What the sample's charts show, from a `greedy-sample` step's details. */
export function chartDataFromSampler(details: SampleDetails): Omit<ChartData, 'splits'> {
  return {
    keyShares: keySharesFromDetails(details),
    sizeShares: sizeSharesFromDetails(details),
    objective: objectiveFromDetails(details),
    rareQuotas: rareQuotasFromDetails(details),
    quotaRescale: details.quotaRescale,
    strategy: details.strategy,
  };
}
