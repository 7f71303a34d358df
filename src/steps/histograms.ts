/**
 * Step `histograms`: the original tool's build_ref_hist_tier and build_per_image_bins_tier for every
 * tier (src/lvis/sampler/histograms.ts).
 */
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { histogramsKind } from './kinds.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { buildHistograms, tierKeyCount, type Histograms } from '../lvis/sampler/histograms.js';
import { DEFAULT_SIZE_RULE } from '../lvis/sampler/size-buckets.js';
import { TIERS } from '../lvis/sampler/tiers.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    area_small: {
      type: 'number',
      exclusiveMinimum: 0,
      default: DEFAULT_SIZE_RULE.areaSmall,
      description:
        'S/M boundary in pixels² (default 32² = 1024): S when area < area_small. The original tool’s --area_small is the side (32) and is squared',
    },
    area_medium: {
      type: 'number',
      exclusiveMinimum: 0,
      default: DEFAULT_SIZE_RULE.areaMedium,
      description: 'M/L boundary in pixels² (default 96² = 9216): M when area < area_medium, else L',
    },
    size_from: {
      enum: ['bbox', 'area'],
      default: 'bbox',
      description:
        '`bbox`: box w·h, boxes with w or h < 1 left out (the original tool); `area`: the annotation’s `area` field (the LVIS evaluator’s measure)',
    },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { dataset: Dataset }, { histograms: Histograms }> = {
  type: 'histograms',
  version: 1,
  description:
    'Per tier, the full-set count of every (category, size) key and each image’s sparse contribution (S/M/L by area thresholds)',
  optionsSchema,

  inputs: { dataset: { kind: 'lvis.dataset', description: 'The dataset, from a `load` step' } },
  outputs: { histograms: { kind: histogramsKind.name, description: 'Reference histograms and per-image bins' } },
  kinds: [histogramsKind],
  cpuHeavy: true,
  // Reported when the pipeline is validated, at the option's line:col, before anything runs.
  check(options) {
    const small = options.area_small ?? DEFAULT_SIZE_RULE.areaSmall;
    const medium = options.area_medium ?? DEFAULT_SIZE_RULE.areaMedium;
    if (typeof small !== 'number' || typeof medium !== 'number' || small < medium) return []; // types: the schema's job
    return [
      {
        message: `area_small (${small}) must be less than area_medium (${medium}); both are areas in pixels², e.g. 1024 (32²) and 9216 (96²)`,
        at: 'options',
        key: 'area_small',
      },
    ];
  },
  async run(ctx) {
    const areaSmall = ctx.options.area_small ?? DEFAULT_SIZE_RULE.areaSmall;
    const areaMedium = ctx.options.area_medium ?? DEFAULT_SIZE_RULE.areaMedium;
    const histograms = buildHistograms(ctx.inputs.dataset, {
      areaSmall,
      areaMedium,
      sizeFrom: ctx.options.size_from ?? 'bbox',
    });
    const perTier = TIERS.map((t, i) => `${t} ${tierKeyCount(histograms, i)}`).join(', ');
    ctx.log(
      `${histograms.keyCategory.length} (category, size) keys (${perTier}); ` +
        `${histograms.binKey.length} per-image entries` +
        (histograms.unbucketed > 0 ? `; ${histograms.unbucketed} degenerate boxes (w or h < 1) left out` : ''),
    );
    return { histograms };
  },
};

export default step;
