/**
 * LVIS box evaluation of a results file against a GT file, both as files (plain or .gz, any
 * size): the GT goes through the `load` machinery (the columnar Dataset, with every record
 * checked and located), the detections are streamed into typed columns (read-detections.ts),
 * then evaluate.ts scores them. What the `evaluate` step runs; plain data in and out.
 */
import { basename } from 'node:path';
import { loadDataset } from '../load/load.js';
import { evaluateBoxes, type EvalProgress, type EvalResult } from './evaluate.js';
import { gtIndexFromDataset } from './gt-dataset.js';
import { AREA_RANGES, IOU_THRESHOLDS, MAX_DETS_PER_IMAGE, METRIC_NAMES, NUM_RECALL } from './params.js';
import { readDetections } from './read-detections.js';

export interface EvaluateFilesOptions {
  signal?: AbortSignal;
  progress?: EvalProgress;
}

export interface EvaluateFilesResult extends EvalResult {
  gt: {
    images: number;
    /** Annotations in the file, and those evaluated (area in (0, inf)). */
    annotations: number;
    evaluatedAnnotations: number;
    categories: number;
    format: 'lvis' | 'coco';
    /** True when the file has no `frequency` (COCO): tiers were derived from image counts. */
    tiersDerived: boolean;
  };
  detections: number;
}

export async function evaluateFiles(gtPath: string, predsPath: string, opts: EvaluateFilesOptions = {}): Promise<EvaluateFilesResult> {
  const { signal, progress } = opts;
  const bytes = (label: string) => {
    let started = false;
    return {
      onProgress(read: number, total: number) {
        if (!started) {
          progress?.start(label, total, 'bytes');
          started = true;
        }
        progress?.update(read);
      },
      end() {
        if (started) progress?.done();
      },
    };
  };
  const gtProgress = bytes(`reading ${basename(gtPath)}`);
  const { dataset } = await loadDataset(gtPath, { ...(signal ? { signal } : {}), onProgress: gtProgress.onProgress });
  gtProgress.end();
  const gt = await gtIndexFromDataset(dataset);
  signal?.throwIfAborted();

  const predsProgress = bytes(`reading ${basename(predsPath)}`);
  const { columns, count } = await readDetections(predsPath, gt, { ...(signal ? { signal } : {}), onProgress: predsProgress.onProgress });
  predsProgress.end();

  const result = await evaluateBoxes(gt, columns, { ...(signal ? { signal } : {}), ...(progress ? { progress } : {}) });
  return {
    ...result,
    gt: {
      images: dataset.images.count,
      annotations: dataset.annotations.count,
      evaluatedAnnotations: gt.gtCount,
      categories: dataset.categories.count,
      format: dataset.source.format,
      tiersDerived: dataset.source.tiersDerived,
    },
    detections: count,
  };
}

/** The evaluation as a JSON document (the `evaluate` step's `out` file). */
export function evaluationJson(r: EvaluateFilesResult): string {
  const doc = {
    iou_type: 'bbox',
    parameters: {
      max_dets_per_image: MAX_DETS_PER_IMAGE,
      iou_thresholds: Array.from(IOU_THRESHOLDS, (t) => Math.round(t * 100) / 100),
      recall_points: NUM_RECALL,
      area_ranges: Object.fromEntries(AREA_RANGES.map((a) => [a.label, [a.lo, a.hi]])),
    },
    metrics: Object.fromEntries(METRIC_NAMES.map((m) => [m, r.metrics[m]])),
    gt: {
      images: r.gt.images,
      annotations: r.gt.annotations,
      evaluated_annotations: r.gt.evaluatedAnnotations,
      categories: r.gt.categories,
      format: r.gt.format,
      tiers_derived: r.gt.tiersDerived,
    },
    detections: r.detections,
    notes: r.notes,
    per_category: r.perCategory,
  };
  // Short values on one line, metrics one per line, a category per line: readable, and
  // diffable between runs.
  const members = Object.entries(doc).map(([key, value]) => {
    let text: string;
    if (key === 'metrics') text = JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
    else if (Array.isArray(value) && value.length > 0) text = `[\n${value.map((v) => `    ${JSON.stringify(v)}`).join(',\n')}\n  ]`;
    else text = JSON.stringify(value);
    return `  ${JSON.stringify(key)}: ${text}`;
  });
  return `{\n${members.join(',\n')}\n}\n`;
}
