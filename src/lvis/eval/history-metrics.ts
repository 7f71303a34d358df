/**
 * The evaluation's numbers as one flat record for a run's history (`runs`, `diff`, `sweep`,
 * the report): box AP under the LVIS API's own names (AP, AP50, …, ARl@300), as before mask AP
 * existed, and mask AP under `segm/` + the name (segm/AP, segm/APr, …), detectron2's way of
 * telling its tasks apart. No AP at all when there were no detections.
 */
import type { EvalResult } from './evaluate.js';
import { METRIC_NAMES } from './params.js';

/** The prefix of mask-AP metrics. */
export const SEGM_PREFIX = 'segm/';

export function historyMetrics(evaluations: readonly EvalResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of evaluations) {
    if (!e.metrics) continue;
    const prefix = e.iouType === 'segm' ? SEGM_PREFIX : '';
    for (const m of METRIC_NAMES) out[prefix + m] = e.metrics[m];
  }
  return out;
}
