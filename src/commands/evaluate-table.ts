/** The `evaluate` command's table: one row per LVIS metric, one column per IoU type. */
import type { EvaluateFilesResult } from '../lvis/eval/evaluate-files.js';
import { METRIC_NAMES, type MetricName } from '../lvis/eval/params.js';

/** What each metric is, as LVISEval.print_results describes it. */
const MEANING: Record<MetricName, string> = {
  AP: 'AP at IoU .50:.95, all sizes, all categories',
  AP50: 'AP at IoU .50',
  AP75: 'AP at IoU .75',
  APs: 'AP of small objects (area up to 32²)',
  APm: 'AP of medium objects (32² to 96²)',
  APl: 'AP of large objects (area from 96²)',
  APr: 'AP of rare categories',
  APc: 'AP of common categories',
  APf: 'AP of frequent categories',
  'AR@300': 'recall with 300 detections per image',
  'ARs@300': 'recall, small objects',
  'ARm@300': 'recall, medium objects',
  'ARl@300': 'recall, large objects',
};

export function metricsTable(r: EvaluateFilesResult): string {
  const cols = r.evaluations.map((e) => ({ name: e.iouType === 'segm' ? 'mask (segm)' : 'box (bbox)', metrics: e.metrics }));
  const header = ['metric', ...cols.map((c) => c.name), ''];
  const rows = METRIC_NAMES.map((m) => [m, ...cols.map((c) => cell(c.metrics?.[m])), MEANING[m]]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const body = [line(header), ...rows.map(line)].join('\n');
  const absent = r.evaluations.some((e) => e.metrics === null);
  const undefinedCell = rows.some((row) => row.includes('n/a'));
  return (
    body +
    (undefinedCell ? '\nn/a: no ground truth to average over (the LVIS API reports -1)' : '') +
    (absent ? '\nnone: there are no detections, so there is no AP' : '')
  );
}

function cell(v: number | undefined): string {
  if (v === undefined) return 'none';
  return v === -1 ? 'n/a' : v.toFixed(4);
}
