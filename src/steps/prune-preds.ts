/**
 * Step `prune-preds`: a predictions file reduced to the kept categories and the images of the
 * pruned GT (see src/lvis/prune-preds.ts).
 */
import { KEPT_IDS_OPTION_SCHEMA, zipOutputProblems } from './shared-options.js';
import { gtImagesKind, keptCategoriesKind } from './kinds.js';
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { keptIdsFromInputOrOption, type KeptCategories } from '../lvis/prune/kept-categories.js';
import { imageSizeOf, type GtImages } from '../lvis/prune/prune-gt.js';
import { prunePreds } from '../lvis/prune/prune-preds.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    path: {
      type: 'string',
      description: 'Predictions JSON (a list of detections; plain, .gz or .zip); empty (`--set preds_json=`): no predictions, an empty list is written and `evaluate` records no AP',
    },
    out: { type: 'string', minLength: 1, description: 'Path of the pruned predictions JSON to write; a name ending in .gz is written gzip-compressed' },
    categories: KEPT_IDS_OPTION_SCHEMA,
  },
  required: ['path', 'out'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { images: GtImages; kept?: KeptCategories }, { preds: string }> = {
  type: 'prune-preds',
  version: 2,
  description:
    'Keep the detections of kept categories on images of the pruned GT, streamed, in order, byte for byte (masks too); every detection, kept or dropped, is checked as the evaluator checks it',
  optionsSchema,

  fileOptions: ['path'],
  inputs: {
    images: { kind: gtImagesKind.name, description: 'Image ids of the pruned GT (prune-gt `images`)' },
    kept: { kind: keptCategoriesKind.name, optional: true, description: 'Kept categories (or the `categories` option)' },
  },
  outputs: {
    preds: { kind: 'file', pathOption: 'out', description: 'The pruned predictions, a JSON list' },
  },
  kinds: [keptCategoriesKind, gtImagesKind],
  check(options) {
    return zipOutputProblems(options.out);
  },
  async run(ctx) {
    const { images, kept } = ctx.inputs;
    const keptIds = keptIdsFromInputOrOption(ctx.stepId, kept, ctx.options.categories);
    const out = ctx.outputFile('preds');
    if (ctx.options.path === '') {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(out, '[]');
      ctx.log('no predictions (`path` is empty): wrote an empty list; `evaluate` records no AP');
      return { preds: out };
    }
    const s = await prunePreds(
      ctx.options.path,
      { categoryIds: new Set(keptIds), imageIds: new Set(images.ids), imageSizes: imageSizeOf(images) },
      out,
      { progress: ctx.progress, signal: ctx.signal, gzip: ctx.options.out.endsWith('.gz') },
    );
    ctx.log(
      `kept ${s.kept} of ${s.detections} detections; dropped ${s.droppedCategory} of categories not kept ` +
        `and ${s.droppedImage} on images not in the pruned GT`,
    );
    if (s.detections > 0 && s.kept === 0) {
      ctx.log(
        `warning: no detection was kept` +
          (s.droppedImage > s.detections / 2 ? `, and most were on images the GT does not have: are these predictions for this GT file?` : ''),
      );
    }
    return { preds: out };
  },
};

export default step;
