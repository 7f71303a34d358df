/**
 * Step `prune-gt`: a val/test GT file reduced to the kept categories (see src/lvis/prune-gt.ts).
 */
import { KEPT_IDS_OPTION_SCHEMA, LIST_CATEGORIES_OPTION_SCHEMA, PROVENANCE_OPTION_SCHEMA, zipOutputProblems } from './shared-options.js';
import { gtImagesKind, keptCategoriesKind } from './kinds.js';
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { keptCategoriesOf, keptCategoryMask, keptIdsFromInputOrOption, type KeptCategories } from '../lvis/prune/kept-categories.js';
import { pruneGt, type GtImages } from '../lvis/prune/prune-gt.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    out: { type: 'string', minLength: 1, description: 'Path of the pruned GT JSON to write; a name ending in .gz is written gzip-compressed' },
    categories: KEPT_IDS_OPTION_SCHEMA,
    list_categories: LIST_CATEGORIES_OPTION_SCHEMA,
    drop_empty_images: {
      type: 'boolean',
      default: false,
      description: 'Also drop images left without annotations of kept categories',
    },
    provenance: PROVENANCE_OPTION_SCHEMA,
  },
  required: ['out'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { gt: Dataset; kept?: KeptCategories }, { gt: string; images: GtImages; kept: KeptCategories }> = {
  type: 'prune-gt',
  version: 3,
  description:
    'Reduce a val/test GT file to the kept categories: annotations, neg / not-exhaustive lists and the categories list',
  optionsSchema,

  inputs: {
    gt: { kind: 'lvis.dataset', description: 'The GT file, from a `load` step' },
    kept: { kind: keptCategoriesKind.name, optional: true, description: 'Kept categories (or the `categories` option)' },
  },
  outputs: {
    gt: { kind: 'file', pathOption: 'out', description: 'The pruned GT, an LVIS-format JSON file' },
    images: { kind: gtImagesKind.name, description: 'Image ids of the pruned GT, with their sizes (for prune-preds)' },
    kept: { kind: keptCategoriesKind.name, description: 'Categories of the pruned GT (for prune-preds)' },
  },
  kinds: [keptCategoriesKind, gtImagesKind],
  check(options) {
    return zipOutputProblems(options.out);
  },
  async run(ctx) {
    const { gt, kept } = ctx.inputs;
    const keptIds = keptIdsFromInputOrOption(ctx.stepId, kept, ctx.options.categories);
    const mask = kept ? keptCategoryMask(gt, keptIds, 'the `kept` input', kept.names) : keptCategoryMask(gt, keptIds, 'the `categories` option');
    const path = ctx.outputFile('gt');
    const r = await pruneGt(
      gt,
      mask,
      { dropEmptyImages: ctx.options.drop_empty_images, provenance: ctx.options.provenance, listAllCategories: ctx.options.list_categories === 'all', gzip: ctx.options.out.endsWith('.gz') },
      path,
      { progress: ctx.progress, signal: ctx.signal },
    );
    const s = r.summary;
    // With list_categories: all, the file lists every category: say which ones keep annotations.
    const listed = ctx.options.list_categories === 'all' ? `; the file lists all ${s.categories + s.categoriesDropped} categories (list_categories: all)` : '';
    ctx.log(
      `kept the annotations of ${s.categories} categories (those of ${s.categoriesDropped} others dropped): ${s.annotations} annotations ` +
        `(dropped ${s.annotationsDropped}), ${s.images} images (dropped ${s.imagesDropped})${listed}; removed ${s.negIdsDropped} neg and ` +
        `${s.notExhaustiveIdsDropped} not-exhaustive category ids from ${s.imagesEdited} images`,
    );
    return {
      gt: path,
      images: {
        ids: Array.from(r.images, (i) => gt.images.id[i]!),
        heights: Array.from(r.images, (i) => gt.images.height[i]!),
        widths: Array.from(r.images, (i) => gt.images.width[i]!),
      },
      kept: keptCategoriesOf(gt, r.categories),
    };
  },
};

export default step;
