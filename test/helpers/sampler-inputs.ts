/** The sampler's inputs as the sample step computes them (histograms, tier mix at alpha 0.6, rare quotas with rare_cap 2), for tests that call runSampler. */
import type { Dataset } from '../../src/lvis/dataset/dataset.js';
import { buildHistograms } from '../../src/lvis/sampler/histograms.js';
import { estimateRareQuotas } from '../../src/lvis/sampler/quotas.js';
import { DEFAULT_SIZE_RULE } from '../../src/lvis/sampler/size-buckets.js';
import { computeTargetTierMix } from '../../src/lvis/sampler/target-mix.js';
import { computeTierStats } from '../../src/lvis/sampler/tier-stats.js';

export function samplerInputs(ds: Dataset) {
  const stats = computeTierStats(ds);
  return {
    hist: buildHistograms(ds, DEFAULT_SIZE_RULE),
    mix: computeTargetTierMix(stats.classes, stats.annotations, 0.6),
    quotas: estimateRareQuotas(ds, 2, 'budget'),
  };
}
