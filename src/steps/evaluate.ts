/**
 * Step `evaluate`: LVIS box AP of a results file against a GT file (src/lvis/eval/), with the
 * LVIS API's semantics. The GT is the `gt_path` option or the `gt` file input (e.g. prune-gt's
 * `gt`); the detections are the `preds_path` option or the `preds` file input (e.g.
 * prune-preds' `preds`). Both files are hashed into the cache key, so an evaluation is redone
 * only when one of them changes.
 */
import { boxMetricsKind, categoryApKind } from './kinds.js';
import type { JsonSchema, OptionProblem, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import type { CategoryAp } from '../lvis/eval/evaluate.js';
import type { MetricName } from '../lvis/eval/params.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    gt_path: {
      type: 'string',
      minLength: 1,
      description: 'The GT JSON (an LVIS val file, pruned or not; plain or .gz); or wire the `gt` input instead',
    },
    preds_path: {
      type: 'string',
      minLength: 1,
      description: 'The detections: a JSON list of {image_id, category_id, bbox, score} (plain or .gz); or wire the `preds` input instead',
    },
    out: { type: 'string', minLength: 1, description: 'Path of the JSON file with every metric, the AP of each category and the notes' },
  },
  required: ['out'],
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

type Outputs = { metrics: Record<MetricName, number>; per_category: CategoryAp[]; json: string };

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
  version: 1,
  description:
    'LVIS box AP (AP, AP50, AP75, APs/m/l, APr/c/f, AR@300, ARs/m/l@300) of a detections file against a GT file, as the LVIS API computes it; AP per category',
  optionsSchema,

  fileOptions: ['gt_path', 'preds_path'],
  inputs: {
    gt: { kind: 'file', optional: true, description: 'The GT file from another step (e.g. `prune_val.gt`), instead of the `gt_path` option' },
    preds: { kind: 'file', optional: true, description: 'The detections file from another step (e.g. `prune_preds.preds`), instead of the `preds_path` option' },
  },
  outputs: {
    metrics: { kind: boxMetricsKind.name, metrics: true, description: 'AP, AP50, AP75, APs, APm, APl, APr, APc, APf, AR@300, ARs@300, ARm@300, ARl@300' },
    per_category: { kind: categoryApKind.name, description: 'Each category’s id, name, frequency and AP (-1: no GT, left out of the means)' },
    json: { kind: 'file', pathOption: 'out', description: 'The metrics, the AP of each category and the notes (JSON).' },
  },
  kinds: [boxMetricsKind, categoryApKind],
  cpuHeavy: true,
  check(options, wired) {
    return [...oneOf(options, wired, 'gt_path', 'gt', 'prune_val.gt'), ...oneOf(options, wired, 'preds_path', 'preds', 'prune_preds.preds')];
  },
  async run(ctx) {
    const { writeFile } = await import('node:fs/promises');
    const { evaluateFiles, evaluationJson } = await import('../lvis/eval/evaluate-files.js');
    // check() made sure that each file is given exactly once.
    const gtPath = (ctx.options.gt_path ?? ctx.inputs.gt)!;
    const predsPath = (ctx.options.preds_path ?? ctx.inputs.preds)!;
    const r = await evaluateFiles(gtPath, predsPath, { signal: ctx.signal, progress: ctx.progress });
    const out = ctx.outputFile('json');
    await writeFile(out, evaluationJson(r));
    ctx.log(
      `box AP ${fmt(r.metrics.AP)} (AP50 ${fmt(r.metrics.AP50)}, APr ${fmt(r.metrics.APr)}, APc ${fmt(r.metrics.APc)}, APf ${fmt(r.metrics.APf)}, AR@300 ${fmt(r.metrics['AR@300'])}): ` +
        `${r.detections} detections against ${r.gt.evaluatedAnnotations} GT boxes on ${r.gt.images} images in ${r.gt.categories} categories`,
    );
    if (r.gt.tiersDerived) {
      ctx.log('the GT has no "frequency" in its categories (COCO format): APr, APc and APf use tiers derived from per-category image counts');
    }
    for (const note of r.notes) ctx.log(note);
    return { metrics: r.metrics, per_category: r.perCategory, json: out };
  },
};

function fmt(v: number): string {
  return v === -1 ? 'n/a' : v.toFixed(4);
}

export default step;
