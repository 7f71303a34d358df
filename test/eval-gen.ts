/**
 * Random small LVIS-style GT + detections for the evaluator's tests, built to hit the cases
 * where an evaluator can silently differ from the LVIS API: image and category ids not in
 * file order, score ties, IoUs exactly at thresholds (integer boxes), GT areas exactly at
 * 32² and 96², images with more than 300 detections, detections on neg / not-exhaustive /
 * unevaluated categories, duplicates, zero-size boxes, categories without GT, empty tiers.
 */
import { mulberry32 } from './helpers/seeded.js';

export interface GenImage {
  id: number;
  neg_category_ids: number[];
  not_exhaustive_category_ids: number[];
}
export interface GenAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  area: number;
}
export interface GenCategory {
  id: number;
  name: string;
  frequency: string;
}
export interface GenGt {
  images: GenImage[];
  annotations: GenAnnotation[];
  categories: GenCategory[];
}
export interface GenDet {
  image_id: number;
  category_id: number;
  bbox: number[];
  score: number;
}

/** The tests' seeded generator. */
export const rng = mulberry32;

export interface GenOptions {
  images?: number;
  categories?: number;
  /** Share of images that get more than 300 detections. */
  crowdedShare?: number;
}

export function generate(seed: number, opts: GenOptions = {}): { gt: GenGt; dets: GenDet[] } {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const nImages = opts.images ?? int(3, 12);
  const nCats = opts.categories ?? int(2, 9);

  // Ids shuffled so that file order differs from id order.
  const imageIds = shuffle(r, Array.from({ length: nImages }, (_, i) => 1000 + 7 * i + int(0, 6)));
  const catIds = shuffle(r, Array.from({ length: nCats }, (_, i) => 1 + 3 * i));
  const tiers = ['r', 'c', 'f'];
  const skipTier = r() < 0.3 ? pick(tiers) : undefined; // sometimes a tier has no category
  const categories: GenCategory[] = catIds.map((id) => {
    let f = pick(tiers);
    while (f === skipTier) f = pick(tiers);
    return { id, name: `cat${id}`, frequency: f };
  });
  const noGtCats = new Set(catIds.filter(() => r() < 0.15));

  const annotations: GenAnnotation[] = [];
  const images: GenImage[] = [];
  for (const imageId of imageIds) {
    const present = catIds.filter((c) => !noGtCats.has(c) && r() < 0.4);
    for (const c of present) {
      for (let k = int(1, 4); k > 0; k--) {
        const bbox = randomBox(r, int);
        annotations.push({ id: annotations.length + 1, image_id: imageId, category_id: c, bbox, area: gtArea(r, bbox) });
      }
    }
    const absent = catIds.filter((c) => !present.includes(c));
    images.push({
      id: imageId,
      neg_category_ids: absent.filter(() => r() < 0.4),
      not_exhaustive_category_ids: catIds.filter((c) => r() < (present.includes(c) ? 0.25 : 0.05)),
    });
  }
  shuffle(r, annotations); // GT order within an image is not id order either

  const dets: GenDet[] = [];
  const score = () => (r() < 0.5 ? Math.round(r() * 20) / 20 : r()); // many ties
  for (const im of images) {
    const crowded = r() < (opts.crowdedShare ?? 0.15);
    const anns = annotations.filter((a) => a.image_id === im.id);
    const target = crowded ? int(301, 360) : int(0, 40);
    for (let count = 0; count < target; count++) {
      const u = r();
      if (u < 0.5 && anns.length > 0) {
        const a = pick(anns); // a jittered copy of a GT box (or the box itself)
        dets.push({ image_id: im.id, category_id: r() < 0.85 ? a.category_id : pick(catIds), bbox: jitter(r, int, a.bbox), score: score() });
        if (r() < 0.15) {
          dets.push({ ...dets[dets.length - 1]!, score: score() }); // a duplicate
          count++;
        }
      } else {
        dets.push({ image_id: im.id, category_id: pick(catIds), bbox: randomBox(r, int), score: score() });
      }
    }
  }
  shuffle(r, dets);
  return { gt: { images, annotations, categories }, dets };
}

/** Mostly integer boxes (so IoUs hit thresholds exactly), some fractional, sizes across the area ranges. */
function randomBox(r: () => number, int: (lo: number, hi: number) => number): number[] {
  const size = r() < 0.4 ? int(2, 32) : r() < 0.6 ? int(20, 96) : int(80, 200);
  const w = r() < 0.8 ? size : size + Math.round(r() * 100) / 100;
  const h = r() < 0.8 ? int(Math.max(1, size >> 1), size * 2) : size * (0.5 + r());
  return [int(0, 300), int(0, 300), w, h];
}

/** Usually a fraction of w*h (a mask inside its box), sometimes exactly a range boundary or not positive. */
function gtArea(r: () => number, bbox: number[]): number {
  const u = r();
  if (u < 0.08) return 32 * 32;
  if (u < 0.16) return 96 * 96;
  if (u < 0.18) return 0;
  return Math.round(bbox[2]! * bbox[3]! * (0.5 + r() / 2) * 100) / 100;
}

function jitter(r: () => number, int: (lo: number, hi: number) => number, b: number[]): number[] {
  if (r() < 0.2) return [...b];
  const d = () => (r() < 0.7 ? int(-4, 4) : Math.round((r() - 0.5) * 800) / 100);
  const w = Math.max(0, b[2]! + d());
  const h = r() < 0.03 ? 0 : Math.max(0, b[3]! + d());
  return [b[0]! + d(), b[1]! + d(), w, h];
}

function shuffle<T>(r: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}
