/**
 * Masks for synthetic detections, as detectron2 and mmdetection write instance masks: an RLE
 * of the image's size with compressed counts, `{"size": [h, w], "counts": "…"}`. A detection
 * of a ground-truth object gets that object's polygons moved and stretched from the object's
 * box to the detection's, with a pixel of noise on each vertex (so its mask IoU follows its
 * box IoU, a little below it, as real detectors' do); a false positive gets a wobbly ellipse
 * in its box. Drawn with pycocotools' rasteriser (src/lvis/mask/), from a random stream of
 * their own, so that the boxes and scores are those of the file without masks.
 */
import { rleFrPoly } from '../mask/rle-poly.js';
import { rleMerge } from '../mask/rle-merge.js';
import { rleToString } from '../mask/rle-string.js';
import type { Rng } from './random.js';

/** A box as corners, in pixels. */
export interface Corners {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** An object's polygons (px, x0 y0 x1 y1 …) and the box they span. */
export interface ObjectShape {
  polygons: Float64Array[];
  box: Corners;
}

const ELLIPSE_VERTICES = 20;

/** The segmentation member's JSON for a detection with box `d` (of `shape`'s object, or a false positive). */
export function maskJson(rng: Rng, d: Corners, shape: ObjectShape | undefined, W: number, H: number): string {
  const rings = shape ? moved(rng, shape, d) : [ellipse(rng, d)];
  const parts = rings.map((r) => rleFrPoly(r, r.length / 2, H, W)!.slice()); // (the rasteriser reuses its buffer)
  // The alphabet ('0' to 'o') holds one character JSON escapes: the backslash.
  const counts = rleToString(rleMerge(parts, H, W)).toString('latin1').replace(/\\/g, '\\\\');
  return `{"size": [${H}, ${W}], "counts": "${counts}"}`;
}

function moved(rng: Rng, shape: ObjectShape, d: Corners): Float64Array[] {
  const { box } = shape;
  const sx = (d.x1 - d.x0) / Math.max(1e-6, box.x1 - box.x0);
  const sy = (d.y1 - d.y0) / Math.max(1e-6, box.y1 - box.y0);
  return shape.polygons.map((p) => {
    const out = new Float64Array(p.length);
    for (let k = 0; k < p.length; k += 2) {
      out[k] = d.x0 + (p[k]! - box.x0) * sx + 0.5 * rng.normal();
      out[k + 1] = d.y0 + (p[k + 1]! - box.y0) * sy + 0.5 * rng.normal();
    }
    return out;
  });
}

function ellipse(rng: Rng, d: Corners): Float64Array {
  const cx = (d.x0 + d.x1) / 2;
  const cy = (d.y0 + d.y1) / 2;
  const rx = (d.x1 - d.x0) / 2;
  const ry = (d.y1 - d.y0) / 2;
  const out = new Float64Array(2 * ELLIPSE_VERTICES);
  for (let k = 0; k < ELLIPSE_VERTICES; k++) {
    const t = (2 * Math.PI * k) / ELLIPSE_VERTICES;
    const r = Math.min(1, 0.85 + 0.1 * rng.normal());
    out[2 * k] = cx + rx * r * Math.cos(t);
    out[2 * k + 1] = cy + ry * r * Math.sin(t);
  }
  return out;
}
