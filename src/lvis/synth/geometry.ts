/**
 * Object geometry for synthetic annotations: a size and aspect ratio drawn around the
 * category's characteristic ones, a bbox placed inside the image, and 1–3 irregular
 * star-shaped polygons filling it (an occluded object is split into side-by-side parts).
 *
 * Coordinates are kept as integer hundredths of a pixel, so that what is written (2
 * decimals, like LVIS) is exactly what `bbox` and `area` are computed from:
 * - `bbox` is the extent of the written polygon points;
 * - `area` is the polygons' shoelace area (parts lie in disjoint slabs of the bbox, so it
 *   is at most bbox w·h, and in practice about 0.6–0.75 of it).
 */
import { MODEL, type CategoryModel } from './model.js';
import type { Rng } from './random.js';

const MAX_VERTICES = 400;

/** One annotation's geometry, reused between draws (no allocation per annotation). */
export class AnnotationGeometry {
  /** Points as x0, y0, x1, y1, ... in hundredths of a pixel, all polygons one after another. */
  coords = new Int32Array(2 * (MAX_VERTICES + 16));
  /** End (exclusive, in coords entries) of each polygon. */
  polygonEnds: number[] = [];
  /** bbox x, y, w, h in hundredths. */
  bbox = new Int32Array(4);
  /** Polygon area in hundredths of a px². */
  area = 0;
  category = 0;
}

/**
 * Draws the geometry of one instance of category `c` in a `W`×`H` image into `out`.
 * `detail` multiplies the number of polygon vertices (1 = LVIS-like).
 */
export function drawAnnotation(
  rng: Rng,
  model: CategoryModel,
  c: number,
  W: number,
  H: number,
  detail: number,
  out: AnnotationGeometry,
): void {
  out.category = c;
  // Size: sqrt(polygon area) in px; the bbox is larger than the polygon by ~1/0.68.
  const side = Math.exp(model.logSize[c]! + MODEL.logSizeInstanceSpread * rng.normal());
  const aspect = Math.exp(model.logAspect[c]! + 0.3 * rng.normal());
  const boxArea = (side * side) / 0.68;
  let bw = Math.sqrt(boxArea * aspect);
  let bh = Math.sqrt(boxArea / aspect);
  bw = Math.min(Math.max(bw, 1), W);
  bh = Math.min(Math.max(bh, 1), H);
  const x0 = rng.uniform(0, W - bw);
  const y0 = rng.uniform(0, H - bh);

  const parts = rng.chance(model.multiPolygon[c]!) ? (rng.chance(0.75) ? 2 : 3) : 1;
  const perimeter = 2 * (bw + bh);
  let vertices = Math.round(detail * MODEL.verticesPerSqrtPerimeter * Math.sqrt(perimeter) * Math.exp(0.3 * rng.normal()));
  vertices = Math.min(MAX_VERTICES, Math.max(4 * parts, vertices));

  // Split the bbox into `parts` slabs along its longer side, each at least 20% of it.
  const horizontal = bw >= bh;
  const length = horizontal ? bw : bh;
  const cuts = [0];
  if (parts > 1) {
    const free = 1 - 0.2 * parts;
    const w = Array.from({ length: parts }, () => rng.next());
    const sum = w.reduce((a, b) => a + b, 0);
    let acc = 0;
    for (let k = 0; k < parts - 1; k++) {
      acc += 0.2 + (free * w[k]!) / sum;
      cuts.push(acc);
    }
  }
  cuts.push(1);

  out.polygonEnds.length = 0;
  let n = 0;
  let area2 = 0;
  for (let k = 0; k < parts; k++) {
    const a = cuts[k]!;
    const b = cuts[k + 1]!;
    const sx = horizontal ? x0 + a * length : x0;
    const sy = horizontal ? y0 : y0 + a * length;
    const sw = horizontal ? (b - a) * length : bw;
    const sh = horizontal ? bh : (b - a) * length;
    const nv = parts === 1 ? vertices : Math.max(4, Math.round(vertices * (b - a)));
    area2 += starPolygon(rng, out.coords, n, nv, sx, sy, sw, sh);
    n += 2 * nv;
    out.polygonEnds.push(n);
  }

  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  const p = out.coords;
  for (let k = 0; k < n; k += 2) {
    const x = p[k]!,
      y = p[k + 1]!;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  out.bbox[0] = minX;
  out.bbox[1] = minY;
  out.bbox[2] = maxX - minX;
  out.bbox[3] = maxY - minY;
  // area2 is twice the area in 1e-4 px²; in hundredths of px² that is area2 / 200.
  // Floor, and never above w·h (a polygon inside its bbox cannot be larger).
  out.area = Math.min(Math.floor(area2 / 200), Math.floor((out.bbox[2] * out.bbox[3]) / 100));
}

/**
 * Writes an irregular star-shaped polygon of `nv` points, scaled to fill the slab
 * (sx, sy, sw, sh) edge to edge, into `coords` at `at`. Returns twice its area (shoelace,
 * in 1e-4 px², of the rounded points).
 */
function starPolygon(
  rng: Rng,
  coords: Int32Array,
  at: number,
  nv: number,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
): number {
  const a2 = rng.uniform(0.05, 0.45),
    p2 = rng.uniform(0, 2 * Math.PI);
  const a3 = rng.uniform(0, 0.3),
    p3 = rng.uniform(0, 2 * Math.PI);
  const a5 = rng.uniform(0, 0.15),
    p5 = rng.uniform(0, 2 * Math.PI);
  const phase = rng.uniform(0, 2 * Math.PI);
  const step = (2 * Math.PI) / nv;
  const xs = new Float64Array(nv);
  const ys = new Float64Array(nv);
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (let k = 0; k < nv; k++) {
    const t = phase + step * (k + 0.35 * (rng.next() - 0.5));
    let r = 1 + a2 * Math.cos(2 * t + p2) + a3 * Math.cos(3 * t + p3) + a5 * Math.cos(5 * t + p5) + 0.05 * rng.normal();
    r = Math.min(1.6, Math.max(0.25, r));
    const x = r * Math.cos(t),
      y = r * Math.sin(t);
    xs[k] = x;
    ys[k] = y;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const fx = sw / (maxX - minX),
    fy = sh / (maxY - minY);
  for (let k = 0; k < nv; k++) {
    coords[at + 2 * k] = Math.round((sx + (xs[k]! - minX) * fx) * 100);
    coords[at + 2 * k + 1] = Math.round((sy + (ys[k]! - minY) * fy) * 100);
  }
  let twice = 0;
  for (let k = 0; k < nv; k++) {
    const j = k + 1 === nv ? 0 : k + 1;
    twice += coords[at + 2 * k]! * coords[at + 2 * j + 1]! - coords[at + 2 * j]! * coords[at + 2 * k + 1]!;
  }
  return Math.abs(twice);
}
