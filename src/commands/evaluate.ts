/**
 * `lvis-pipe evaluate GT PREDS`: LVIS box and mask AP of two files, without a pipeline (the
 * `evaluate` step's evaluation, src/lvis/eval/). Prints the metrics as a table, box and mask
 * side by side, then the notes; with --out, writes the step's JSON document.
 */
import path from 'node:path';
import { writeFileAtomic } from '../base/atomic-file.js';
import { DiagnosticError } from '../base/diagnostic.js';
import { displayPath } from '../base/display-path.js';
import { pathProblem } from '../base/fs-problems.js';
import type { CliEnv } from '../cli-env.js';
import type { EvaluateFilesResult } from '../lvis/eval/evaluate-files.js';
import type { IouType } from '../lvis/eval/evaluate.js';
import { identity } from '../runner/pipeline/file-clashes.js';
import type { CommandModule } from './command.js';
import { parseCommandArgs, UsageError } from './args.js';
import { barReporter } from './progress-bar.js';
import { metricsTable } from './evaluate-table.js';

const USAGE = `usage: lvis-pipe evaluate GT PREDS [--iou-type bbox|segm] [--out FILE] [--quiet]

Scores the detections in PREDS against the ground truth in GT as the LVIS API does
(lvis-api's LVISEval): AP, AP50, AP75, APs/m/l, APr/c/f, AR@300, ARs/m/l@300, and the AP of
each category. GT is an LVIS (or COCO-format) annotation file; PREDS a JSON list of
detections {"image_id", "category_id", "score", "bbox": [x, y, w, h], "segmentation": RLE or
polygons}, as detectron2 and mmdetection write them. Plain JSON, .gz or .zip.

options:
      --iou-type T   bbox (box AP), segm (mask AP), or auto (the default): box AP, and mask AP
                     too when the detections carry masks
  -o, --out FILE     also write every number, each category's AP and the notes as JSON (the
                     \`evaluate\` step's file)
  -q, --quiet        print nothing but errors
  -h, --help         this help

exit status: 0 scored; 1 bad data (each problem with its file, line:col and record); 2 usage.

example:
  lvis-pipe evaluate lvis_v1_val.json detectron2_results.json --out eval.json`;

/** The command's flags, declared once (parsed by `run`, and by the docs test). */
const flags = {
  'iou-type': { type: 'string' },
  out: { type: 'string', short: 'o' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

const IOU_TYPES = ['auto', 'bbox', 'segm'] as const;

export const command: CommandModule = {
  options: flags,
  usage: USAGE,
  async run(argv: string[], env: CliEnv): Promise<number> {
    const { values, positionals } = parseCommandArgs(argv, flags, USAGE);
    if (values.help) {
      env.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError(`expected two files, GT and PREDS, got ${positionals.length} (see lvis-pipe evaluate --help)`);
    const iouType = values['iou-type'] ?? 'auto';
    if (!(IOU_TYPES as readonly string[]).includes(iouType)) throw new UsageError(`--iou-type must be bbox, segm or auto, got ${JSON.stringify(iouType)}`);
    const [gt, preds] = positionals.map((p) => path.resolve(env.cwd, p)) as [string, string];
    const out = values.out === undefined ? undefined : path.resolve(env.cwd, values.out);
    if (out) refuseToOverwrite(out, [gt, preds]);
    const r = await evaluate(env, gt, preds, iouType as IouType | 'auto', values.quiet === true);
    if (out) await writeJson(out, r);
    if (!values.quiet) {
      env.stdout.write(`${describeFiles(r, gt, preds)}\n\n${metricsTable(r)}\n`);
      const { allNotes } = await import('../lvis/eval/evaluation-notes.js');
      const notes = allNotes(r);
      if (notes.length) env.stdout.write(`\n${notes.join('\n')}\n`);
      if (out) env.stdout.write(`\nwrote ${displayPath(out)}\n`);
    }
    return 0;
  },
};

async function evaluate(env: CliEnv, gt: string, preds: string, iouType: IouType | 'auto', quiet: boolean): Promise<EvaluateFilesResult> {
  const { evaluateFiles } = await import('../lvis/eval/evaluate-files.js');
  const bar = env.interactive && !quiet ? barReporter(env.stderr) : undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  if (env.handleSignals) process.once('SIGINT', onSignal);
  try {
    return await evaluateFiles(gt, preds, { iouType, signal: controller.signal, ...(bar ? { progress: bar } : {}) });
  } finally {
    bar?.stop();
    if (env.handleSignals) process.off('SIGINT', onSignal);
  }
}

/** --out must not name one of the two files read (also through a link). */
function refuseToOverwrite(out: string, inputs: string[]): void {
  const o = identity(out);
  for (const input of inputs) {
    const i = identity(input);
    if (o.real === i.real || (o.inode !== undefined && o.inode === i.inode)) {
      throw new DiagnosticError([{ severity: 'error', message: `--out ${displayPath(out)} is ${displayPath(input)}, a file this command reads: it would be overwritten. Choose another --out` }], 2);
    }
  }
}

async function writeJson(out: string, r: EvaluateFilesResult): Promise<void> {
  const { evaluationJson } = await import('../lvis/eval/evaluation-json.js');
  try {
    await writeFileAtomic(out, evaluationJson(r));
  } catch (err) {
    const why = pathProblem(err);
    if (!why) throw err;
    throw new DiagnosticError([{ severity: 'error', message: `cannot write --out ${displayPath(out)}: ${why}` }], 1);
  }
}

function describeFiles(r: EvaluateFilesResult, gt: string, preds: string): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const masks = r.detectionsWithMasks === r.detections ? 'with masks' : `${n(r.detectionsWithMasks)} with masks`;
  return (
    `GT     ${displayPath(gt)}: ${n(r.gt.images)} images, ${n(r.gt.annotations)} annotations (${n(r.gt.evaluatedAnnotations)} evaluated), ${n(r.gt.categories)} categories\n` +
    `PREDS  ${displayPath(preds)}: ${n(r.detections)} detections${r.detectionsWithMasks > 0 ? ` (${masks})` : ''} on ${n(r.imagesWithDetections)} images`
  );
}
