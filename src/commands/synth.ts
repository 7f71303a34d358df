/**
 * `lvis-pipe synth`: writes synthetic LVIS v1-format train/val files and val predictions to
 * a folder (see src/lvis/synth.ts). The `synth` pipeline step does the same inside a pipeline.
 */
import { formatBytes } from '../base/format.js';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CliEnv } from '../cli-env.js';
import type { CommandModule } from './command.js';
import { parseCommandArgs, UsageError } from './args.js';
import {
  checkSynthOptions,
  defaultValImages,
  generateSynthLvis,
  SYNTH_DEFAULTS,
  synthFileNames,
  type SynthFileSummary,
  type SynthOptions,
} from '../lvis/synth/synth.js';
import { LVIS_V1_TRAIN_IMAGES } from '../lvis/dataset/lvis-categories.js';
import { barReporter } from './progress-bar.js';
import type { Cooccurrence } from '../lvis/synth/model.js';
import { DiagnosticError, escapeControls } from '../base/diagnostic.js';
import { displayPath } from '../base/display-path.js';
import { pathProblem } from '../base/fs-problems.js';

const USAGE = `usage: lvis-pipe synth --out DIR [--images N] [--val-images M] [--seed S]
                       [--cooccurrence topics|scenes] [--no-preds] [--masks] [--gzip]
                       [--polygon-detail X] [--quiet | --json]

Writes synthetic data in the LVIS v1 format, made from LVIS v1's real category metadata
(names, frequency tiers, per-category image and instance counts in train):
  DIR/lvis_v1_train_synth.json   train annotations
  DIR/lvis_v1_val_synth.json     val annotations (image ids disjoint from train)
  DIR/preds_val_synth.json       detections on the val images (LVIS results format)
The same options give byte-identical files. At full scale (the default) train has
100,170 images, ~1.27M annotations with polygons (~1 GB); it takes 1–3 minutes.

options:
  -o, --out DIR            output folder (created if missing)
  -n, --images N           train images (default ${LVIS_V1_TRAIN_IMAGES}, as LVIS v1 train); a smaller N
                           scales every category's image count down (randomized rounding)
      --val-images M       val images (default N × 19809 / 100170, as LVIS v1 val;
                           0 = no val file and no predictions)
      --seed S             random seed, 0 to 4294967295 (default ${SYNTH_DEFAULTS.seed})
      --cooccurrence M     how categories come together in an image (default topics):
                           topics  category first: each category's images are placed mostly
                                   in its topic's images; 1% of images are empty
                           scenes  image first: each image draws a scene topic, and its
                                   categories and their counts come from the topic (sparse
                                   and crowded scenes; rare categories in crowded ones);
                                   16% of images are empty
                           Both show every category in its LVIS image count (scaled).
      --no-preds           do not write the predictions file
      --masks              give the detections masks too (RLE with compressed counts, as
                           detectron2 and mmdetection write them), for mask AP
      --gzip               gzip the files (names end in .json.gz)
      --polygon-detail X   multiply the polygon vertex counts (default 1, LVIS-like;
                           0.3 makes files ~2.5× smaller)
  -q, --quiet              print only errors
      --json               print the summary as one JSON object
  -h, --help               this help

example:
  lvis-pipe synth --out data/synth --images 3000 --seed 7 --gzip`;

const FLAGS = {
  out: { type: 'string', short: 'o' },
  images: { type: 'string', short: 'n' },
  'val-images': { type: 'string' },
  seed: { type: 'string' },
  cooccurrence: { type: 'string' },
  'no-preds': { type: 'boolean' },
  masks: { type: 'boolean' },
  gzip: { type: 'boolean' },
  'polygon-detail': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function numberFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)} (see lvis-pipe synth --help)`);
  return v;
}

/** The command's flags, declared once (parsed by `run`, and by the docs test). */
const flags = FLAGS;

export const command: CommandModule = {
  options: flags,
  usage: USAGE,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, USAGE);
    if (values.help) {
      env.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (see lvis-pipe synth --help)`);
    if (!values.out) throw new UsageError(`missing --out DIR (see lvis-pipe synth --help)`);
    const trainImages = numberFlag('images', values.images, LVIS_V1_TRAIN_IMAGES);
    const options: SynthOptions = {
      seed: numberFlag('seed', values.seed, SYNTH_DEFAULTS.seed),
      trainImages,
      valImages: numberFlag('val-images', values['val-images'], Math.max(1, defaultValImages(trainImages))),
      preds: !values['no-preds'],
      gzip: values.gzip === true,
      polygonDetail: numberFlag('polygon-detail', values['polygon-detail'], SYNTH_DEFAULTS.polygonDetail),
      ...(values.masks ? { masks: true } : {}),
      ...(values.cooccurrence === undefined ? {} : { cooccurrence: values.cooccurrence as Cooccurrence }),
    };
    if (options.valImages === 0 && values['no-preds'] === undefined) options.preds = false;
    checkSynthOptions(options);

    const dir = path.resolve(env.cwd, values.out);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      const why = pathProblem(err);
      if (!why) throw err;
      throw new DiagnosticError([{ severity: 'error', message: `cannot create the --out folder ${values.out}: ${why}; choose another --out` }], 2);
    }
    const names = synthFileNames(options.gzip);
    const paths = {
      train: path.join(dir, names.train),
      ...(options.valImages > 0 ? { val: path.join(dir, names.val) } : {}),
      ...(options.preds ? { preds: path.join(dir, names.preds) } : {}),
    };
    const quiet = values.quiet === true || values.json === true;
    const bar = env.interactive && !quiet ? barReporter(env.stderr) : undefined;
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    if (env.handleSignals) process.once('SIGINT', onSignal);
    const t0 = performance.now();
    try {
      const summary = await generateSynthLvis(options, paths, {
        ...(bar ? { progress: bar } : {}),
        signal: controller.signal,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (values.json) {
        env.stdout.write(JSON.stringify({ type: 'synth', options, seconds, ...summary }) + '\n');
      } else if (!quiet) {
        const line = (f: SynthFileSummary, records: string) =>
          `wrote ${escapeControls(displayPath(f.path, env.cwd))}: ${f.images.toLocaleString('en-US')} images, ` +
          `${f.records.toLocaleString('en-US')} ${records}, ${formatBytes(f.fileBytes)}` +
          (options.gzip ? ` (${formatBytes(f.textBytes)} of JSON)` : '') +
          ` in ${f.seconds.toFixed(1)} s\n`;
        env.stdout.write(line(summary.train, 'annotations'));
        if (summary.val) env.stdout.write(line(summary.val, 'annotations'));
        if (summary.preds) env.stdout.write(line(summary.preds, 'detections'));
        env.stdout.write(`seed ${options.seed}, ${seconds.toFixed(1)} s in all\n`);
      }
      return 0;
    } catch (err) {
      if (controller.signal.aborted) {
        env.stderr.write('lvis-pipe synth: interrupted; no partial file was left behind\n');
        return 130;
      }
      throw err;
    } finally {
      bar?.stop();
      if (env.handleSignals) process.off('SIGINT', onSignal);
    }
  },
};
