/**
 * A slow, plain port of lvis-api's box evaluation (results.py, eval.py; pycocotools' bbIou),
 * one object per detection and the API's own loop structure, written apart from
 * src/lvis/eval so that the fast evaluator can be checked against it. Not used by the project.
 */
import type { GenDet, GenGt } from './eval-gen.js';

interface Ann {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  area: number;
  score: number;
}
interface EvalImg {
  dtScores: number[];
  dtMatched: boolean[][]; // [thr][dt]
  dtIgnore: boolean[][];
  gtIgnore: boolean[];
}

function linspace(a: number, b: number, n: number): number[] {
  const step = (b - a) / (n - 1);
  const out = Array.from({ length: n }, (_, i) => i * step + a);
  out[n - 1] = b;
  return out;
}
const IOU_THRS = linspace(0.5, 0.95, 10);
const REC_THRS = linspace(0, 1, 101);
const AREA_RNG: Array<[number, number]> = [
  [0, 1e10],
  [0, 1024],
  [1024, 9216],
  [9216, 1e10],
];
const AREA_LBL = ['all', 'small', 'medium', 'large'];

function iou(d: number[], g: number[]): number {
  const w = Math.min(d[2]! + d[0]!, g[2]! + g[0]!) - Math.max(d[0]!, g[0]!);
  if (w <= 0) return 0;
  const h = Math.min(d[3]! + d[1]!, g[3]! + g[1]!) - Math.max(d[1]!, g[1]!);
  if (h <= 0) return 0;
  const i = w * h;
  return i / (d[2]! * d[3]! + g[2]! * g[3]! - i);
}

/** Stable sort by score, highest first (numpy argsort(-score, kind="mergesort")). */
const byScoreDesc = <T extends { score: number }>(xs: T[]): T[] => [...xs].sort((a, b) => b.score - a.score);

export interface ReferenceResult {
  metrics: Record<string, number>;
  perCategory: Map<number, number>;
}

export function referenceEvaluate(gtIn: GenGt, detsIn: GenDet[]): ReferenceResult {
  // LVISResults: 300 per image (images in first-appearance order), ids from 1, area = w*h.
  const byImg = new Map<number, GenDet[]>();
  for (const d of detsIn) {
    if (!byImg.has(d.image_id)) byImg.set(d.image_id, []);
    byImg.get(d.image_id)!.push(d);
  }
  const limited: GenDet[] = [];
  for (const list of byImg.values()) limited.push(...(list.length <= 300 ? list : byScoreDesc(list).slice(0, 300)));
  const dtAnns: Ann[] = limited.map((d, i) => ({ ...d, id: i + 1, area: d.bbox[2]! * d.bbox[3]! }));
  const imgIds = [...new Set(gtIn.images.map((im) => im.id))].sort((a, b) => a - b);
  for (const d of dtAnns) if (!imgIds.includes(d.image_id)) throw new Error('Results do not correspond to current LVIS set.');
  const catIds = gtIn.categories.map((c) => c.id).sort((a, b) => a - b);

  // get_ann_ids(img_ids, cat_ids): per image in file order; known category; 0 < area < inf.
  const select = (anns: Ann[]) =>
    imgIds.flatMap((img) => anns.filter((a) => a.image_id === img && catIds.includes(a.category_id) && a.area > 0 && a.area < Infinity));
  const gts = select(gtIn.annotations.map((a) => ({ ...a, score: 0 })));
  const dts = select(dtAnns);
  const key = (img: number, cat: number) => `${img}/${cat}`;
  const gtMap = new Map<string, Ann[]>();
  const dtMap = new Map<string, Ann[]>();
  const push = (m: Map<string, Ann[]>, k: string, a: Ann) => (m.get(k) ?? m.set(k, []).get(k)!).push(a);
  for (const g of gts) push(gtMap, key(g.image_id, g.category_id), g);
  const imgInfo = new Map(gtIn.images.map((im) => [im.id, im]));
  const present = new Set(gts.map((g) => key(g.image_id, g.category_id)));
  for (const d of dts) {
    const neg = imgInfo.get(d.image_id)!.neg_category_ids.includes(d.category_id);
    if (!neg && !present.has(key(d.image_id, d.category_id))) continue;
    push(dtMap, key(d.image_id, d.category_id), d);
  }

  const evalImg = (img: number, cat: number, [lo, hi]: [number, number]): EvalImg | null => {
    const gt0 = gtMap.get(key(img, cat)) ?? [];
    const dt = byScoreDesc(dtMap.get(key(img, cat)) ?? []);
    if (gt0.length === 0 && dt.length === 0) return null;
    const ig0 = gt0.map((g) => g.area < lo || g.area > hi);
    const gtIdx = [...gt0.keys()].sort((a, b) => Number(ig0[a]) - Number(ig0[b]));
    const gt = gtIdx.map((i) => gt0[i]!);
    const gtIg = gtIdx.map((i) => ig0[i]!);
    const ious = dt.map((d) => gt.map((g) => iou(d.bbox, g.bbox)));
    const nel = imgInfo.get(img)!.not_exhaustive_category_ids;
    const dtMatched: boolean[][] = [];
    const dtIgnore: boolean[][] = [];
    for (const thr of IOU_THRS) {
      const gtTaken = gt.map(() => false);
      const matched = dt.map(() => false);
      const ignored = dt.map(() => false);
      if (gt.length > 0) {
        dt.forEach((_, di) => {
          let best = Math.min(thr, 1 - 1e-10);
          let m = -1;
          for (let gi = 0; gi < gt.length; gi++) {
            if (gtTaken[gi]) continue;
            if (m > -1 && !gtIg[m] && gtIg[gi]) break;
            if (ious[di]![gi]! < best) continue;
            best = ious[di]![gi]!;
            m = gi;
          }
          if (m === -1) return;
          ignored[di] = gtIg[m]!;
          matched[di] = true;
          gtTaken[m] = true;
        });
      }
      dt.forEach((d, di) => {
        if (!matched[di] && (d.area < lo || d.area > hi || nel.includes(d.category_id))) ignored[di] = true;
      });
      dtMatched.push(matched);
      dtIgnore.push(ignored);
    }
    return { dtScores: dt.map((d) => d.score), dtMatched, dtIgnore, gtIgnore: gtIg };
  };

  // accumulate: precision[t][r][k][a], recall[t][k][a], -1 where absent.
  const T = IOU_THRS.length;
  const R = REC_THRS.length;
  const K = catIds.length;
  const A = AREA_RNG.length;
  const precision = Array.from({ length: T }, () => Array.from({ length: R }, () => Array.from({ length: K }, () => new Array<number>(A).fill(-1))));
  const recall = Array.from({ length: T }, () => Array.from({ length: K }, () => new Array<number>(A).fill(-1)));
  catIds.forEach((cat, k) => {
    AREA_RNG.forEach((rng, a) => {
      const E = imgIds.map((img) => evalImg(img, cat, rng)).filter((e): e is EvalImg => e !== null);
      if (E.length === 0) return;
      const entries = E.flatMap((e) => e.dtScores.map((score, i) => ({ score, e, i })));
      const sorted = byScoreDesc(entries);
      const numGt = E.reduce((n, e) => n + e.gtIgnore.filter((x) => !x).length, 0);
      if (numGt === 0) return;
      for (let t = 0; t < T; t++) {
        let tp = 0;
        let fp = 0;
        const rc: number[] = [];
        const pr: number[] = [];
        for (const { e, i } of sorted) {
          const m = e.dtMatched[t]![i]!;
          const ig = e.dtIgnore[t]![i]!;
          if (m && !ig) tp++;
          if (!m && !ig) fp++;
          rc.push(tp / numGt);
          pr.push(tp / (fp + tp + 2.220446049250313e-16));
        }
        recall[t]![k]![a] = rc.length ? rc[rc.length - 1]! : 0;
        for (let i = pr.length - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
        for (let r = 0; r < R; r++) {
          let idx = 0; // searchsorted side='left'
          while (idx < rc.length && rc[idx]! < REC_THRS[r]!) idx++;
          precision[t]![r]![k]![a] = idx < pr.length ? pr[idx]! : 0;
        }
      }
    });
  });

  // summarize: flat mean of entries > -1 over the selected slice.
  const freqOf = new Map(gtIn.categories.map((c) => [c.id, c.frequency]));
  const mean = (xs: number[]) => {
    const v = xs.filter((x) => x > -1);
    return v.length === 0 ? -1 : v.reduce((s, x) => s + x, 0) / v.length;
  };
  const ap = (opts: { thr?: number; area?: string; freq?: string }) => {
    const a = AREA_LBL.indexOf(opts.area ?? 'all');
    const vals: number[] = [];
    IOU_THRS.forEach((thr, t) => {
      if (opts.thr !== undefined && thr !== opts.thr) return;
      for (let r = 0; r < R; r++) catIds.forEach((c, k) => (opts.freq === undefined || freqOf.get(c) === opts.freq) && vals.push(precision[t]![r]![k]![a]!));
    });
    return mean(vals);
  };
  const ar = (area: string) => mean(recall.flatMap((row) => row.map((cats) => cats[AREA_LBL.indexOf(area)]!)));
  const metrics: Record<string, number> = {
    AP: ap({}),
    AP50: ap({ thr: 0.5 }),
    AP75: ap({ thr: 0.75 }),
    APs: ap({ area: 'small' }),
    APm: ap({ area: 'medium' }),
    APl: ap({ area: 'large' }),
    APr: ap({ freq: 'r' }),
    APc: ap({ freq: 'c' }),
    APf: ap({ freq: 'f' }),
    'AR@300': ar('all'),
    'ARs@300': ar('small'),
    'ARm@300': ar('medium'),
    'ARl@300': ar('large'),
  };
  const perCategory = new Map<number, number>();
  catIds.forEach((c, k) => perCategory.set(c, mean(precision.flatMap((rows) => rows.map((cats) => cats[k]![0]!)))));
  return { metrics, perCategory };
}
