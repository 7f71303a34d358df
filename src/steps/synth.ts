/**
 * Step `synth`: synthetic LVIS v1-format train and val files and a predictions file for val,
 * so that a pipeline can make its own data (see src/lvis/synth.ts). Pure: the files depend
 * only on the options, so the runner caches them like any other output.
 */
import { formatBytes } from '../base/format.js';
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { defaultValImages, generateSynthLvis, MAX_SYNTH_IMAGES, SYNTH_DEFAULTS } from '../lvis/synth/synth.js';
import { COOCCURRENCE_MODELS, SYNTH_GENERATOR_VERSION } from '../lvis/synth/model.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    images: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_SYNTH_IMAGES,
      default: 3000,
      description: 'Train images (LVIS v1 train has 100170)',
    },
    val_images: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_SYNTH_IMAGES,
      description: "Val images (default: images × 19809 / 100170, LVIS v1's val/train ratio)",
    },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: SYNTH_DEFAULTS.seed, description: 'Random seed' },
    cooccurrence: {
      enum: [...COOCCURRENCE_MODELS],
      default: SYNTH_DEFAULTS.cooccurrence,
      description:
        'How categories come together in an image: `topics` (category first: each category’s images are placed mostly in its topic’s images; 1% of images empty) or `scenes` (image first: each image draws a scene topic, and its categories and their counts come from the topic; 16% of images empty). Both show every category in its LVIS v1 image count, scaled',
    },
    polygon_detail: {
      type: 'number',
      minimum: 0.1,
      maximum: 10,
      default: SYNTH_DEFAULTS.polygonDetail,
      description: 'Multiplies the polygon vertex count (1 = LVIS-like, ~1 GB at full scale)',
    },
    gzip: { type: 'boolean', default: SYNTH_DEFAULTS.gzip, description: 'gzip the three files' },
    masks: { type: 'boolean', default: false, description: 'Give the detections masks (RLE with compressed counts, as detectron2 writes them), for mask AP' },
    train_out: { type: 'string', minLength: 1, description: 'Also put the train file at this path' },
    val_out: { type: 'string', minLength: 1, description: 'Also put the val file at this path' },
    preds_out: { type: 'string', minLength: 1, description: 'Also put the predictions file at this path' },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, Record<string, never>, { train: string; val: string; preds: string }> = {
  type: 'synth',
  version: SYNTH_GENERATOR_VERSION,
  description: 'Generate synthetic LVIS v1-format train and val files and val predictions (real LVIS v1 categories)',
  optionsSchema,

  inputs: {},
  outputs: {
    train: { kind: 'file', pathOption: 'train_out', description: 'LVIS v1-format train annotations (JSON)' },
    val: { kind: 'file', pathOption: 'val_out', description: 'LVIS v1-format val annotations (JSON)' },
    preds: { kind: 'file', pathOption: 'preds_out', description: 'Detections on val, LVIS results format (JSON list)' },
  },
  cpuHeavy: true,
  async run(ctx) {
    const o = ctx.options;
    const options = {
      seed: o.seed,
      trainImages: o.images,
      valImages: o.val_images ?? Math.max(1, defaultValImages(o.images)),
      preds: true,
      gzip: o.gzip,
      polygonDetail: o.polygon_detail,
      ...(o.masks ? { masks: true } : {}),
      cooccurrence: o.cooccurrence,
    };
    // The options schema holds every range, so the pipeline's validation has checked them.
    const paths = { train: ctx.outputFile('train'), val: ctx.outputFile('val'), preds: ctx.outputFile('preds') };
    const s = await generateSynthLvis(options, paths, { progress: ctx.progress, signal: ctx.signal });
    const mb = formatBytes;
    ctx.log(
      `train: ${s.train.images} images, ${s.train.records} annotations (${mb(s.train.textBytes)}); ` +
        `val: ${s.val!.images} images, ${s.val!.records} annotations (${mb(s.val!.textBytes)}); ` +
        `preds: ${s.preds!.records} detections (${mb(s.preds!.textBytes)})`,
    );
    return paths;
  },
};

export default step;
