/**
 * Step `stats`: the original tool's compute_tier_stats (src/lvis/sampler/stats.ts).
 */
import type { StepModule } from '../runner/step/step.js';
import { tierStatsKind } from './kinds.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { computeTierStats, formatTierStats, type TierStats } from '../lvis/sampler/tier-stats.js';

const step: StepModule<Record<string, never>, { dataset: Dataset }, { stats: TierStats }> = {
  type: 'stats',
  version: 1,
  description:
    'Per frequency tier: categories, annotations, and images with at least one annotation of the tier; and totals',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  inputs: { dataset: { kind: 'lvis.dataset', description: 'The dataset, from a `load` step' } },
  outputs: { stats: { kind: tierStatsKind.name, description: 'Tier counts and totals' } },
  kinds: [tierStatsKind],
  async run(ctx) {
    const stats = computeTierStats(ctx.inputs.dataset);
    ctx.log(formatTierStats(stats));
    return { stats };
  },
};

export default step;
