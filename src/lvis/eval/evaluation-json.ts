/**
 * The evaluation as a JSON document: the `evaluate` step's `out` file, and what the `evaluate`
 * command writes with --out. One evaluation: `iou_type`, `parameters`, `metrics` (the LVIS API's
 * names; null when there are no detections), `gt`, `detections`, `notes`, `per_category`
 * (`id`, `name`, `frequency`, `ap`). When box and mask AP were both computed, the document is
 * the box evaluation's, with the mask evaluation under `segm` (`iou_type`, `metrics`, `notes`,
 * `per_category`), as detectron2 keys its results by task.
 */
import type { EvalResult } from './evaluate.js';
import type { EvaluateFilesResult } from './evaluate-files.js';
import { AREA_RANGES, IOU_THRESHOLDS, MAX_DETS_PER_IMAGE, METRIC_NAMES, NUM_RECALL } from './params.js';

export function evaluationJson(r: EvaluateFilesResult): string {
  const [first, second] = r.evaluations;
  if (!first) throw new Error('evaluationJson: nothing was evaluated');
  const doc: Record<string, unknown> = {
    iou_type: first.iouType,
    parameters: {
      max_dets_per_image: MAX_DETS_PER_IMAGE,
      iou_thresholds: Array.from(IOU_THRESHOLDS, (t) => Math.round(t * 100) / 100),
      recall_points: NUM_RECALL,
      area_ranges: Object.fromEntries(AREA_RANGES.map((a) => [a.label, [a.lo, a.hi]])),
    },
    metrics: metricsOf(first),
    gt: {
      images: r.gt.images,
      annotations: r.gt.annotations,
      evaluated_annotations: r.gt.evaluatedAnnotations,
      categories: r.gt.categories,
      format: r.gt.format,
      tiers_derived: r.gt.tiersDerived,
    },
    detections: r.detections,
    detections_with_masks: r.detectionsWithMasks,
    images_with_detections: r.imagesWithDetections,
    notes: [...r.notes, ...first.notes],
    per_category: first.perCategory,
  };
  if (second) doc[second.iouType] = { iou_type: second.iouType, metrics: metricsOf(second), notes: second.notes, per_category: second.perCategory };
  return `${members(doc, '  ')}\n`;
}

function metricsOf(e: EvalResult): Record<string, number> | null {
  return e.metrics ? Object.fromEntries(METRIC_NAMES.map((m) => [m, e.metrics![m]])) : null;
}

/**
 * Short values on one line, metrics one per line, a category per line: readable, and diffable
 * between runs.
 */
function members(doc: Record<string, unknown>, indent: string): string {
  const lines = Object.entries(doc).map(([key, value]) => {
    let text: string;
    if (key === 'metrics' && value !== null) text = JSON.stringify(value, null, 2).replace(/\n/g, `\n${indent}`);
    else if (Array.isArray(value) && value.length > 0) text = `[\n${value.map((v) => `${indent}  ${JSON.stringify(v)}`).join(',\n')}\n${indent}]`;
    else if (key === 'segm' || key === 'bbox') text = members(value as Record<string, unknown>, `${indent}  `);
    else text = JSON.stringify(value);
    return `${indent}${JSON.stringify(key)}: ${text}`;
  });
  return `{\n${lines.join(',\n')}\n${indent.slice(2)}}`;
}
