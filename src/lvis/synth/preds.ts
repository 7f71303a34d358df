/**
 * Synthetic detector output for a val split, in the LVIS results format: a JSON list of
 * `{"image_id", "category_id", "bbox", "score"}`, with masks also `"segmentation"` (an RLE,
 * as detectron2 writes it: masks.ts), at most 300 per image (LVIS's limit), each image's
 * detections sorted by score.
 *
 * Per image: most ground-truth objects are found (small ones less often) with a jittered
 * box and a high score; some are also reported under a confusable category of the image's
 * topic; and a long tail of low-score false positives covers the image's and its topic's
 * categories. About 60 detections per image on average.
 */
import { MODEL, type CategoryModel } from './model.js';
import type { Rng } from './random.js';
import { hundredths, score4 } from './format.js';
import { maskJson, type Corners, type ObjectShape } from './masks.js';

/** LVIS evaluates at most this many detections per image. */
export const MAX_DETECTIONS_PER_IMAGE = 300;

/** A ground-truth object of the image: category index and bbox in hundredths. */
export interface GroundTruthBox {
  category: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** With masks: its polygons and their box, in pixels. */
  shape?: ObjectShape;
}

interface Detection extends Corners {
  category: number;
  score: number;
  /** The ground-truth object it was made from (-1: a false positive). */
  source: number;
}

const PRED_MODEL = {
  /** Mean false positives per image (gamma-dispersed, shape 2). */
  falsePositives: 50,
  /** Probability that a found object is also reported under a confusable category. */
  confusion: 0.35,
} as const;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The detections of one image, as JSON records, best score first. */
export function detectionsJson(
  rng: Rng,
  model: CategoryModel,
  imageId: number,
  W: number,
  H: number,
  topic: number,
  gts: readonly GroundTruthBox[],
  /** With masks: their own random stream (see masks.ts). */
  maskRng?: Rng,
): string[] {
  const dets: Detection[] = [];
  let source = -1;
  const clampBox = (x: number, y: number, w: number, h: number, category: number, score: number) => {
    const x0 = Math.max(0, Math.min(W - 1, x));
    const y0 = Math.max(0, Math.min(H - 1, y));
    dets.push({ category, x0, y0, x1: Math.max(x0 + 0.5, Math.min(W, x + w)), y1: Math.max(y0 + 0.5, Math.min(H, y + h)), score, source });
  };

  for (const [gi, g] of gts.entries()) {
    source = gi;
    const w = g.w / 100,
      h = g.h / 100,
      x = g.x / 100,
      y = g.y / 100;
    const area = w * h;
    const found = area < 32 * 32 ? 0.45 : area < 96 * 96 ? 0.72 : 0.88;
    if (!rng.chance(found)) continue;
    const jitter = () => 0.08 * rng.normal();
    const dx = jitter() * w,
      dy = jitter() * h;
    const sw = w * Math.exp(jitter()),
      sh = h * Math.exp(jitter());
    clampBox(x + dx, y + dy, sw, sh, g.category, sigmoid(1.3 + 1.2 * rng.normal()));
    if (rng.chance(PRED_MODEL.confusion)) {
      const other = model.byTopic[topic]!.sample(rng);
      if (other !== g.category) clampBox(x + dx, y + dy, sw, sh, other, sigmoid(-1.2 + 1.2 * rng.normal()));
    }
  }

  source = -1;
  const present = gts.length ? [...new Set(gts.map((g) => g.category))] : [];
  const fp = rng.poisson((PRED_MODEL.falsePositives * rng.gamma(2)) / 2);
  for (let k = 0; k < fp; k++) {
    const category =
      present.length && rng.chance(0.4) ? present[rng.int(present.length)]! : model.byTopic[topic]!.sample(rng);
    const side = Math.exp(MODEL.logSizeMean + 0.5 + 0.8 * rng.normal());
    const aspect = Math.exp(0.5 * rng.normal());
    const w = Math.min(W, side * Math.sqrt(aspect)),
      h = Math.min(H, side / Math.sqrt(aspect));
    clampBox(rng.uniform(0, W - w), rng.uniform(0, H - h), w, h, category, sigmoid(-3.2 + 1.3 * rng.normal()));
  }

  dets.sort((a, b) => b.score - a.score);
  if (dets.length > MAX_DETECTIONS_PER_IMAGE) dets.length = MAX_DETECTIONS_PER_IMAGE;
  return dets.map((d) => {
    // In hundredths, so that x + w never passes the image edge after rounding.
    const x0 = Math.round(d.x0 * 100),
      y0 = Math.round(d.y0 * 100);
    const w = Math.round(d.x1 * 100) - x0,
      h = Math.round(d.y1 * 100) - y0;
    return (
      `{"image_id": ${imageId}, "category_id": ${model.meta[d.category]!.id}, "bbox": [` +
      `${hundredths(x0)}, ${hundredths(y0)}, ${hundredths(w)}, ${hundredths(h)}], "score": ${score4(Math.max(1e-4, d.score))}` +
      (maskRng ? `, "segmentation": ${maskJson(maskRng, d, gts[d.source]?.shape, W, H)}}` : '}')
    );
  });
}
