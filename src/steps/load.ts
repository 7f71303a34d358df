/**
 * Step `load`: an LVIS or COCO-format JSON file (plain, .gz or .zip, any size) → the columnar
 * `lvis.dataset` artifact (src/lvis/load.ts). The file's sha256 is in the cache key, so a changed
 * file is loaded again and an unchanged one is reloaded from the cache. When the runner does not
 * know the digest yet (a new or changed file), the load computes it from the bytes it reads, in
 * the same pass, and reports it (`hashesFiles`): the file is read once. The file is
 * either the `path` option or the optional `file` input: a file output of another step, such
 * as `synth.train`, so that a pipeline can make its own data.
 */
import { formatBytes } from '../base/format.js';
import { basename } from 'node:path';
import { datasetKind } from './kinds.js';
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import { TIERS, TIER_NAMES } from '../lvis/dataset/dataset.js';
import { loadDataset } from '../lvis/load/load.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 1, description: 'The LVIS/COCO JSON file (plain or gzip); or wire the `file` input instead' },
    max_errors: {
      type: 'integer',
      minimum: 1,
      default: 20,
      description: 'How many bad records to list before "… and K more"',
    },
    strict_json: {
      type: 'boolean',
      default: false,
      description:
        'Check the JSON grammar of every byte, including segmentation polygons, which the fast scan only bracket-matches (about 3x slower)',
    },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { file?: string }, { dataset: Dataset }> = {
  type: 'load',
  version: 2,
  description:
    'Read an LVIS or COCO-format JSON file (plain, .gz or .zip, any size), given by `path` or by the `file` input, into a compact columnar dataset',
  optionsSchema,

  fileOptions: ['path'],
  hashesFiles: ['path'],
  inputs: {
    file: { kind: 'file', optional: true, description: 'A file output of another step (e.g. `synth.train`), instead of the `path` option' },
  },
  outputs: { dataset: { kind: datasetKind.name, description: 'Categories, images and annotations in columnar form, with source byte ranges' } },
  kinds: [datasetKind],
  cpuHeavy: true,
  check(options, wired) {
    if (options.path !== undefined && wired.has('file')) {
      return [{ at: 'options', key: 'path', message: 'has both a `path` option and a `file` input: give exactly one' }];
    }
    if (options.path === undefined && !wired.has('file')) {
      return [{ message: 'needs a file: a `path` option (e.g. `path: data/train.json`) or a `file` input (e.g. `inputs: { file: synth.train }`)' }];
    }
    return [];
  },
  async run(ctx) {
    const { max_errors: maxErrors, strict_json: strict } = ctx.options;
    const path = (ctx.options.path ?? ctx.inputs.file)!; // check() made sure exactly one is given
    let started = false;
    const hash = ctx.hashWhileReading?.includes(path) ?? false;
    const result = await loadDataset(path, {
      maxErrors,
      strict,
      hash,
      signal: ctx.signal,
      onProgress(read, total) {
        if (!started) {
          // Hashing adds no pass of its own: the bar is the read's, and says so.
          ctx.progress.start(`${hash ? 'reading and hashing' : 'reading'} ${basename(path)}`, total, 'bytes');
          started = true;
        }
        ctx.progress.update(read);
      },
    });
    if (started) ctx.progress.done();
    const ds = result.dataset;
    if (hash) ctx.reportDigest?.(path, result.sha256!);
    const digest = ctx.fileDigests[path] ?? result.sha256;
    if (digest) ds.source.contentDigest = digest;
    const size = formatBytes(ds.source.textBytes);
    ctx.log(
      `${ds.images.count} images, ${ds.annotations.count} annotations, ${ds.categories.count} categories ` +
        `(${ds.source.format.toUpperCase()} format, ${size} of JSON${encodingNote(ds.source)})`,
    );
    if (result.imagesWithoutAnnotations > 0) {
      ctx.log(`${result.imagesWithoutAnnotations} images have no annotations: kept in the dataset, never sampled`);
    }
    if (ds.source.tiersDerived) {
      const perTier = TIERS.map((t, k) => `${ds.categories.tier.filter((x) => x === k).length} ${TIER_NAMES[t]}`).join(', ');
      ctx.log(
        `no "frequency" in the categories (COCO format): tiers derived from per-category image counts with ` +
          `LVIS's rule (rare 1–10 images, common 11–100, frequent > 100; 0 images counts as rare): ${perTier}`,
      );
    }
    if (result.rereadStrictly) {
      ctx.log('the fast scan stopped on an array that mixes numbers with other values; the file was read again with full JSON checks');
    }
    return { dataset: ds };
  },
};

/** How the JSON was stored, for the log: nothing for plain JSON, `, gzip`, `, member x.json of the zip`. */
function encodingNote(source: Dataset['source']): string {
  if (source.encoding === 'zip') return `, member ${JSON.stringify(source.member)} of the zip`;
  return source.encoding === 'gzip' ? ', gzip' : '';
}

export default step;
