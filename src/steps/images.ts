/**
 * Step `images`: the images of a run, from the subset and the pruned val JSON files (their
 * `coco_url`): URL manifests always (for `wget -i` / `aria2c -i`), and on request the images
 * themselves at `<dir>/<split>/<file>`, placed from a local COCO folder or downloaded
 * (src/lvis/images/). `run` reads the JSON files and is cached; `sync` keeps the folder in line
 * on every run, cache hits included, and downloads into the cache's data folder, so no image
 * is fetched twice across runs and sweep variants.
 */
import { writeFile } from 'node:fs/promises';

import type { JsonSchema, OptionProblem, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { baseUrl, manifestText } from '../lvis/images/manifest.js';
import { imageList, type ImagePlan } from '../lvis/images/plan.js';
import { readImageRecords } from '../lvis/images/read-images.js';
import { imagePlanKind } from './kinds.js';
import { DiagnosticError } from '../base/diagnostic.js';
import type { Proxy } from '../lvis/images/proxy.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    subset_json: { type: 'string', minLength: 1, description: 'The subset JSON, when not wired as the `subset` input (an existing file: plain, .gz or .zip)' },
    val_json: { type: 'string', minLength: 1, description: 'The pruned val JSON, when not wired as the `val` input' },
    dir: {
      type: 'string',
      minLength: 1,
      description: 'The images folder: each image of the subset and the pruned val at `<dir>/<split>/<file>` (from its coco_url), and nothing else',
    },
    train_urls: { type: 'string', minLength: 1, description: 'Path of the manifest of the subset’s image URLs, one per line (`wget -i`, `aria2c -i`)' },
    val_urls: { type: 'string', minLength: 1, description: 'Path of the manifest of the pruned val’s image URLs' },
    images_root: {
      type: 'string',
      default: '',
      description: 'A local folder laid out like COCO’s (train2017/, val2017/) to place the images from, by reflink, else hard link, else copy; empty: none',
    },
    images_url: { type: 'string', minLength: 1, default: 'http://images.cocodataset.org/', description: 'Base URL of the images: `<images_url><split>/<file>`' },
    download: { type: 'boolean', default: false, description: 'Download the images that images_root lacks (all of them without it) into the cache, and place them (through the proxy of http_proxy / https_proxy, unless no_proxy names the host)' },
    concurrency: { type: 'integer', minimum: 1, maximum: 256, default: 16, description: 'Downloads at once' },
    timeout_s: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Seconds without a byte before a download is retried' },
    retries: { type: 'integer', minimum: 0, maximum: 20, default: 4, description: 'Retries of a download after a reset, a timeout or a 5xx, with exponential backoff' },
    max_image_bytes: { type: 'integer', minimum: 1, default: 33554432, description: 'Largest body a download may have (COCO’s images average about 160 kB)' },
  },
  required: ['dir', 'train_urls'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;
type Outputs = { train_urls: string; val_urls: string; plan: ImagePlan };

const count = (n: number) => n.toLocaleString('en-US');

function urlProblems(imagesUrl: string): OptionProblem[] {
  try {
    const u = new URL(imagesUrl);
    if (u.protocol === 'http:' || u.protocol === 'https:') return [];
  } catch {
    // said below
  }
  return [{ at: 'options', key: 'images_url', message: `images_url must be an http:// or https:// URL, got ${JSON.stringify(imagesUrl)}` }];
}

const step: StepModule<Options, { subset?: string; val?: string }, Outputs> = {
  type: 'images',
  version: 1,
  description: 'List the URLs of the subset’s and the pruned val’s images; on request, place them from a local COCO folder or download them, at `<dir>/<split>/<file>`',
  optionsSchema,
  inputs: {
    subset: { kind: 'file', optional: true, description: 'The subset JSON (`write`), or the `subset_json` option' },
    val: { kind: 'file', optional: true, description: 'The pruned val JSON (`prune-gt`), or the `val_json` option' },
  },
  outputs: {
    train_urls: { kind: 'file', pathOption: 'train_urls', description: 'The subset’s image URLs, one per line' },
    val_urls: { kind: 'file', pathOption: 'val_urls', description: 'The pruned val’s image URLs, one per line (empty without `val`)' },
    plan: { kind: imagePlanKind.name, description: 'Each image’s split folder, file name and size' },
  },
  kinds: [imagePlanKind],
  fileOptions: ['subset_json', 'val_json'],
  folderOptions: ['images_root'],
  syncFolders: ['dir'],
  check(options, wired) {
    const problems: OptionProblem[] = [];
    if ((options.subset_json !== undefined) === wired.has('subset')) {
      problems.push({ message: wired.has('subset') ? 'has both a `subset` input and a `subset_json` option: give one' : 'needs the subset: a `subset` input (e.g. `inputs: { subset: write }`) or a `subset_json` option' });
    }
    if (options.val_json !== undefined && wired.has('val')) problems.push({ at: 'options', key: 'val_json', message: 'has both a `val` input and a `val_json` option: give one' });
    return [...problems, ...urlProblems(options.images_url)];
  },
  async run(ctx) {
    const base = baseUrl(ctx.options.images_url);
    const subset = (ctx.options.subset_json ?? ctx.inputs.subset)!; // check() made sure there is one
    const valFile = ctx.options.val_json ?? ctx.inputs.val;
    const train = imageList('the subset', await readImageRecords(subset, ctx.signal));
    const val = valFile ? imageList('the pruned val', await readImageRecords(valFile, ctx.signal)) : undefined;
    await writeFile(ctx.outputFile('train_urls'), manifestText(base, train.images));
    await writeFile(ctx.outputFile('val_urls'), val ? manifestText(base, val.images) : '');
    ctx.log(`image URLs: ${count(train.images.length)} of the subset${val ? `, ${count(val.images.length)} of the pruned val` : ''}`);
    for (const l of [train, ...(val ? [val] : [])]) {
      if (l.withoutUrl.count) ctx.log(`${l.label}: ${count(l.withoutUrl.count)} images have no coco_url: not in the manifest, and cannot be placed`);
    }
    if (!ctx.options.images_root && !ctx.options.download) ctx.log('the images are not placed: set images_root (a local COCO folder) or download_images; their URLs are in the manifests');
    return { train_urls: ctx.outputFile('train_urls'), val_urls: ctx.outputFile('val_urls'), plan: { train, ...(val ? { val } : {}) } };
  },
  async sync(ctx) {
    // Loaded here: the HTTP client and the placing code are not needed to list the steps.
    const { syncImages, unplacedNote } = await import('../lvis/images/sync-images.js');
    const o = ctx.options;
    const root = o.images_root || undefined;
    if (!root && !o.download) {
      // (run() said so; on a cache hit only a folder an earlier run left is worth a word.)
      const note = unplacedNote(ctx.outputs.plan, o.dir);
      if (note) ctx.log(note);
      return;
    }
    const base = baseUrl(o.images_url);
    const proxy = o.download ? await proxyOf(base) : undefined;
    await syncImages(ctx.outputs.plan, {
      dir: o.dir,
      ...(root ? { imagesRoot: root } : {}),
      ...(o.download
        ? { download: { base, concurrency: o.concurrency, timeoutMs: o.timeout_s * 1000, retries: o.retries, maxBytes: o.max_image_bytes, backoffMs: 500, dataDir: ctx.dataDir, ...(proxy ? { proxy } : {}) } }
        : {}),
      progress: ctx.progress,
      log: ctx.log,
      signal: ctx.signal,
    });
  },
};

/** The proxy the environment asks for (http_proxy, https_proxy, no_proxy); a proxy URL it cannot use is the user's error. */
async function proxyOf(base: URL): Promise<Proxy | undefined> {
  const { proxyFor } = await import('../lvis/images/proxy.js');
  try {
    return proxyFor(base);
  } catch (err) {
    throw new DiagnosticError([{ severity: 'error', message: `${(err as Error).message}; or unset it to download directly` }]);
  }
}

export default step;
