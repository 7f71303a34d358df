/**
 * Step `write`: the sampled subset as an LVIS-format JSON file (see src/lvis/write-subset.ts).
 */
import { formatBytes } from '../base/format.js';
import { LIST_CATEGORIES_OPTION_SCHEMA, PROVENANCE_OPTION_SCHEMA, zipOutputProblems } from './shared-options.js';
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import type { Sample } from '../lvis/sampler/sample.js';
import { selectSample, writeSubset } from '../lvis/write/write-subset.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    out: { type: 'string', minLength: 1, description: 'Path of the subset JSON to write; a name ending in .gz is written gzip-compressed' },
    list_categories: LIST_CATEGORIES_OPTION_SCHEMA,
    recount: {
      type: 'boolean',
      default: false,
      description:
        "Set each category's image_count / instance_count to the subset's (frequency stays the full set's tier); recorded in info.lvis_pipe",
    },
    provenance: PROVENANCE_OPTION_SCHEMA,
  },
  required: ['out'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { dataset: Dataset; sample: Sample }, { subset: string }> = {
  type: 'write',
  version: 2,
  description:
    'Write the sampled images and all their annotations as an LVIS JSON (records copied byte for byte from the source)',
  optionsSchema,

  inputs: {
    dataset: { kind: 'lvis.dataset', description: 'The dataset the sample was drawn from (train)' },
    sample: { kind: 'lvis.sample', description: 'The selected images' },
  },
  outputs: {
    subset: { kind: 'file', pathOption: 'out', description: 'The subset, an LVIS-format JSON file' },
  },
  check(options) {
    return zipOutputProblems(options.out);
  },
  async run(ctx) {
    const { dataset, sample } = ctx.inputs;
    const sel = selectSample(dataset, sample);
    const path = ctx.outputFile('subset');
    const { list_categories: categories, recount, provenance } = ctx.options;
    const s = await writeSubset(dataset, sel, { categories, recount, provenance, gzip: ctx.options.out.endsWith('.gz') }, path, { progress: ctx.progress, signal: ctx.signal });
    ctx.log(
      `wrote ${s.images} images, ${s.annotations} annotations, ${s.categories} categories (${formatBytes(s.bytes)}${ctx.options.out.endsWith('.gz') ? ' of JSON, gzip-compressed' : ''})`,
    );
    if (ctx.options.recount && !s.recounted) {
      ctx.log('recount: the categories have no image_count/instance_count fields (COCO format); none were added');
    }
    return { subset: path };
  },
};

export default step;
