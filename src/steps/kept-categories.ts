/**
 * Step `kept-categories`: the original tool's kept_categories, the categories that appear in the
 * sampled subset, as an artifact the prune steps read (see src/lvis/kept-categories.ts).
 */
import type { StepModule } from '../runner/step/step.js';
import { keptCategoriesKind } from './kinds.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { keptCategoriesOf, keptCategoryIndices, type KeptCategories } from '../lvis/prune/kept-categories.js';
import type { Sample } from '../lvis/sampler/sample.js';
import { selectSample } from '../lvis/write/write-subset.js';

const step: StepModule<Record<string, never>, { dataset: Dataset; sample: Sample }, { kept: KeptCategories }> = {
  type: 'kept-categories',
  version: 1,
  description: 'The categories that appear in the sampled subset (for prune-gt / prune-preds)',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  inputs: {
    dataset: { kind: 'lvis.dataset', description: 'The dataset the sample was drawn from' },
    sample: { kind: 'lvis.sample', description: 'The selected images' },
  },
  outputs: {
    kept: { kind: keptCategoriesKind.name, description: 'Kept category ids and names' },
  },
  kinds: [keptCategoriesKind],
  async run(ctx) {
    const { dataset, sample } = ctx.inputs;
    const sel = selectSample(dataset, sample);
    const kept = keptCategoriesOf(dataset, keptCategoryIndices(dataset, sel.images));
    ctx.log(`${kept.ids.length} of ${dataset.categories.count} categories appear in the subset`);
    return { kept };
  },
};

export default step;
