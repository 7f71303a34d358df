/**
 * Step `evaluate`: LVIS box AP and mask AP of a results file against a GT file
 * (src/lvis/eval/), with the LVIS API's semantics. The GT is the `gt_path` option or the `gt`
 * file input (e.g. prune-gt's `gt`); the detections are the `preds_path` option or the `preds`
 * file input (e.g. prune-preds' `preds`). Both files are hashed into the cache key, so an
 * evaluation is redone only when one of them changes.
 *
 * Metric names in the run history: box AP keeps the LVIS API's names (AP, APr, …); mask AP is
 * `segm/AP`, `segm/APr`, … (detectron2's task prefix).
 */
import { categoryApKind, evalMetricsKind } from './kinds.js';
import { zipOutputProblems } from './shared-options.js';
import type { JsonSchema, OptionProblem, StepContext, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import type { CategoryAp, EvalResult } from '../lvis/eval/evaluate.js';
import type { EvaluateFilesResult } from '../lvis/eval/evaluate-files.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    gt_path: {
      type: 'string',
      minLength: 1,
      description: 'The GT JSON (an LVIS val file, pruned or not; plain, .gz or .zip); or wire the `gt` input instead',
    },
    preds_path: {
      type: 'string',
      minLength: 1,
      description: 'The detections: a JSON list of {image_id, category_id, bbox, score} and/or `segmentation` (plain, .gz or .zip); or wire the `preds` input instead',
    },
    iou_type: {
      enum: ['auto', 'bbox', 'segm'],
      default: 'auto',
      description: 'bbox (box AP), segm (mask AP), or auto: box AP, and mask AP too when the detections carry masks (as detectron2 decides)',
    },
    out: { type: 'string', minLength: 1, description: 'Path of the JSON file with every metric, the AP of each category and the notes' },
  },
  required: ['out'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

type Outputs = { metrics: Record<string, number>; per_category: CategoryAp[]; segm_per_category: CategoryAp[]; json: string };

/** Exactly one of an option and an input. */
function oneOf(options: Options, wired: ReadonlySet<string>, option: 'gt_path' | 'preds_path', input: 'gt' | 'preds', example: string): OptionProblem[] {
  if (options[option] !== undefined && wired.has(input)) {
    return [{ at: 'options', key: option, message: `has both a \`${option}\` option and a \`${input}\` input: give exactly one` }];
  }
  if (options[option] === undefined && !wired.has(input)) {
    return [{ message: `needs the ${input === 'gt' ? 'GT' : 'detections'} file: a \`${option}\` option or a \`${input}\` input (e.g. \`inputs: { ${input}: ${example} }\`)` }];
  }
  return [];
}

const step: StepModule<Options, { gt?: string; preds?: string }, Outputs> = {
  type: 'evaluate',
  version: 2,
  description:
    'LVIS box and mask AP (AP, AP50, AP75, APs/m/l, APr/c/f, AR@300, ARs/m/l@300) of a detections file against a GT file, as the LVIS API computes them; AP per category',
  optionsSchema,

  fileOptions: ['gt_path', 'preds_path'],
  inputs: {
    gt: { kind: 'file', optional: true, description: 'The GT file from another step (e.g. `prune_val.gt`), instead of the `gt_path` option' },
    preds: { kind: 'file', optional: true, description: 'The detections file from another step (e.g. `prune_preds.preds`), instead of the `preds_path` option' },
  },
  outputs: {
    metrics: {
      kind: evalMetricsKind.name,
      metrics: true,
      description: 'Box AP as AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300; mask AP as segm/AP, segm/AP50, …; none without detections',
    },
    per_category: { kind: categoryApKind.name, description: 'Each category’s id, name, frequency and box AP (-1: no GT, left out of the means); empty without box AP' },
    segm_per_category: { kind: categoryApKind.name, description: 'The same for mask AP; empty without mask AP' },
    json: { kind: 'file', pathOption: 'out', description: 'The metrics, the AP of each category and the notes (JSON).' },
  },
  kinds: [evalMetricsKind, categoryApKind],
  cpuHeavy: true,
  check(options, wired) {
    return [...oneOf(options, wired, 'gt_path', 'gt', 'prune_val.gt'), ...oneOf(options, wired, 'preds_path', 'preds', 'prune_preds.preds'), ...zipOutputProblems(options.out)];
  },
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { basename } = await import('node:path');
    const { evaluateFiles } = await import('../lvis/eval/evaluate-files.js');
    const { evaluationJson } = await import('../lvis/eval/evaluation-json.js');
    const { historyMetrics } = await import('../lvis/eval/history-metrics.js');
    // check() made sure that each file is given exactly once.
    const gtPath = (ctx.options.gt_path ?? ctx.inputs.gt)!;
    const predsPath = (ctx.options.preds_path ?? ctx.inputs.preds)!;
    const r = await evaluateFiles(gtPath, predsPath, {
      signal: ctx.signal,
      progress: ctx.progress,
      iouType: ctx.options.iou_type,
      // An input is a file of the cache, named by its hash: say what it is instead.
      gtLabel: ctx.options.gt_path ? basename(ctx.options.gt_path) : 'the GT',
      predsLabel: ctx.options.preds_path ? basename(ctx.options.preds_path) : 'the predictions',
    });
    const out = ctx.outputFile('json');
    await writeFile(out, evaluationJson(r));
    logResult(ctx, r, (await import('../lvis/eval/evaluation-notes.js')).allNotes);
    const of = (t: string) => r.evaluations.find((e) => e.iouType === t);
    return { metrics: historyMetrics(r.evaluations), per_category: of('bbox')?.perCategory ?? [], segm_per_category: of('segm')?.perCategory ?? [], json: out };
  },
};

function logResult(ctx: StepContext<Options>, r: EvaluateFilesResult, allNotes: (r: EvaluateFilesResult) => string[]): void {
  for (const e of r.evaluations) ctx.log(headline(e, r));
  if (r.gt.tiersDerived) {
    ctx.log('the GT has no "frequency" in its categories (COCO format): APr, APc and APf use tiers derived from per-category image counts');
  }
  for (const note of allNotes(r)) ctx.log(note);
}

function headline(e: EvalResult, r: EvaluateFilesResult): string {
  const what = e.iouType === 'segm' ? 'mask AP' : 'box AP';
  const against = `${r.detections} detections against ${r.gt.evaluatedAnnotations} GT ${e.iouType === 'segm' ? 'masks' : 'boxes'} on ${r.gt.images} images in ${r.gt.categories} categories`;
  const m = e.metrics;
  if (!m) return `${what}: none (no detections): ${against}`;
  return `${what} ${fmt(m.AP)} (AP50 ${fmt(m.AP50)}, APr ${fmt(m.APr)}, APc ${fmt(m.APc)}, APf ${fmt(m.APf)}, AR@300 ${fmt(m['AR@300'])}): ${against}`;
}

function fmt(v: number): string {
  return v === -1 ? 'n/a' : v.toFixed(4);
}

export default step;
