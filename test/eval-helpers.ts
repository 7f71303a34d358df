/** Small builders for the evaluator's hand-computed tests. */
import { DetectionColumns } from '../src/lvis/eval/detections.js';
import { evaluateBoxes, type CategoryAp, type EvalResult } from '../src/lvis/eval/evaluate.js';
import type { MetricName } from '../src/lvis/eval/params.js';
import { buildGtIndex, type EvalGt } from '../src/lvis/eval/gt-index.js';

export interface Img {
  id: number;
  neg?: number[];
  notExhaustive?: number[];
}
export interface Gt {
  image: number;
  cat: number;
  bbox: number[];
  /** Defaults to w*h. */
  area?: number;
}
export interface Det {
  image: number;
  cat: number;
  bbox: number[];
  score: number;
}

export function makeGt(images: Img[], anns: Gt[], cats: Array<{ id: number; frequency?: string }>): EvalGt {
  return {
    images: images.map((im) => ({ id: im.id, neg_category_ids: im.neg ?? [], not_exhaustive_category_ids: im.notExhaustive ?? [] })),
    annotations: anns.map((a) => ({ image_id: a.image, category_id: a.cat, bbox: a.bbox, area: a.area ?? a.bbox[2]! * a.bbox[3]! })),
    categories: cats.map((c) => ({ id: c.id, name: `cat${c.id}`, frequency: c.frequency ?? 'f' })),
  };
}

/** A result with numbers (there were detections). */
export type Scored = Omit<EvalResult, 'metrics' | 'perCategory'> & { metrics: Record<MetricName, number>; perCategory: (Omit<CategoryAp, 'ap'> & { ap: number })[] };

/** Box AP of `dets`, which must not be empty (see evaluateRaw). */
export async function evaluate(gt: EvalGt, dets: Det[]): Promise<Scored> {
  const res = await evaluateRaw(gt, dets);
  if (!res.metrics) throw new Error('evaluate: no AP (no detections); use evaluateRaw');
  return res as Scored;
}

export async function evaluateRaw(gt: EvalGt, dets: Det[]): Promise<EvalResult> {
  const index = buildGtIndex(gt);
  const cols = new DetectionColumns(index, 2); // tiny capacity: growth is exercised too
  for (const d of dets) cols.add(d.image, d.cat, d.bbox[0]!, d.bbox[1]!, d.bbox[2]!, d.bbox[3]!, d.score);
  return evaluateBoxes(index, cols);
}

/** AP of one category from a result. */
export function apOf(res: Scored, catId: number): number {
  const c = res.perCategory.find((p) => p.id === catId);
  if (!c) throw new Error(`no category ${catId}`);
  return c.ap;
}

/** AP of a category whose precision is `p` up to recall `upTo` (in hundredths) and 0 after, at every threshold. */
export function flatAp(p: number, upTo: number): number {
  return ((upTo + 1) * p) / 101;
}
