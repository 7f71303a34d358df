/**
 * Step `target-mix`: the original tool's compute_target_tier_mix (src/lvis/sampler/target-mix.ts).
 */
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { targetMixKind } from './kinds.js';
import type { TierStats } from '../lvis/sampler/tier-stats.js';
import { computeTargetTierMix, formatTargetMix, type TargetMix } from '../lvis/sampler/target-mix.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    alpha: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      default: 0.6,
      description: 'Weight of the annotation share; 1 − alpha goes to the class share (original tool: --alpha)',
    },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { stats: TierStats }, { mix: TargetMix }> = {
  type: 'target-mix',
  version: 1,
  description:
    'Target share of images per tier: alpha · annotation share + (1 − alpha) · class share (the original tool’s compute_target_tier_mix)',
  optionsSchema,

  inputs: { stats: { kind: 'lvis.tier-stats', description: 'Tier counts, from a `stats` step' } },
  outputs: { mix: { kind: targetMixKind.name, description: 'Target tier mix' } },
  kinds: [targetMixKind],
  async run(ctx) {
    const { stats } = ctx.inputs;
    const mix = computeTargetTierMix(stats.classes, stats.annotations, ctx.options.alpha ?? 0.6);
    ctx.log(formatTargetMix(mix));
    return { mix };
  },
};

export default step;
