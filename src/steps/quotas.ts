/**
 * Step `quotas`: the original tool's estimate_rare_quotas (src/lvis/sampler/quotas.ts).
 *
 * It reads only the dataset: the quotas need each rare class's annotation and image counts
 * (over all annotations, as the original tool counts them), not the size histograms. With
 * `target_rare_images: budget` (the default, as the original tool's sampler calls it) the rescaling to
 * the rare tier's budget B_r happens in `greedy-sample`, which knows total_images; so
 * changing total_images does not invalidate this step.
 */
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { rareQuotasKind } from './kinds.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { estimateRareQuotas, rescaleQuotas, type RareQuotas } from '../lvis/sampler/quotas.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    rare_cap: {
      type: 'integer',
      minimum: 0,
      default: 2,
      description: 'Max images per rare class before rescaling (original tool: --rare_cap); soft, via lambda_cap',
    },
    target_rare_images: {
      anyOf: [{ type: 'integer', minimum: 0 }, { const: 'budget' }],
      default: 'budget',
      description:
        'Total the quotas are rescaled to: a number of images, or `budget` for the rare tier’s budget B_r of greedy-sample',
    },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { dataset: Dataset }, { quotas: RareQuotas }> = {
  type: 'quotas',
  version: 1,
  description:
    'Per rare category, an image quota: min(rare_cap, images with the class), rescaled to the rare tier’s image budget',
  optionsSchema,

  inputs: { dataset: { kind: 'lvis.dataset', description: 'The dataset, from a `load` step' } },
  outputs: { quotas: { kind: rareQuotasKind.name, description: 'Rare class quotas' } },
  kinds: [rareQuotasKind],
  async run(ctx) {
    const quotas = estimateRareQuotas(ctx.inputs.dataset, ctx.options.rare_cap ?? 2, ctx.options.target_rare_images ?? 'budget');
    const sum = quotas.capped.reduce((a, b) => a + b, 0);
    let msg = `${quotas.categoryIndex.length} rare categories with annotations; Σ min(rare_cap, images) = ${sum}`;
    if (quotas.target !== 'budget') {
      msg += `; rescaled to ${quotas.target}: Σ = ${rescaleQuotas(quotas.capped, quotas.target).reduce((a, b) => a + b, 0)}`;
    } else msg += ' (rescaled to the rare budget by greedy-sample)';
    ctx.log(msg);
    return { quotas };
  },
};

export default step;
