/**
 * The polygon rasteriser's shortcuts (src/lvis/mask/rle-poly.ts computes only the outline
 * points that can cross a column centre) against a line-by-line port of maskApi.c's rleFrPoly,
 * which walks every upsampled point, on random polygons: edges long in x and in y, both
 * directions, repeated and integer vertices, outlines leaving the image on every side. The
 * pycocotools goldens (eval-oracle.test.ts) tie both to the C code itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rleFrBbox, rleFrPoly } from '../src/lvis/mask/rle-poly.js';

const cInt = (v: number) => (v > -2147483649 && v < 2147483648 ? Math.trunc(v) : -2147483648);

/** maskApi.c rleFrPoly, statement by statement. */
function literalFrPoly(xy: ArrayLike<number>, k: number, h: number, w: number): number[] {
  const scale = 5;
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < k; j++) x[j] = cInt(scale * xy[j * 2]! + 0.5);
  x[k] = x[0]!;
  for (let j = 0; j < k; j++) y[j] = cInt(scale * xy[j * 2 + 1]! + 0.5);
  y[k] = y[0]!;
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j]!, xe = x[j + 1]!, ys = y[j]!, ye = y[j + 1]!;
    const dx = Math.abs(xe - xs), dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) [xs, xe, ys, ye] = [xe, xs, ye, ys];
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(cInt(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(cInt(xs + s * t + 0.5));
      }
    }
  }
  const a: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j]! < u[j - 1]! ? u[j]! : u[j]! - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j]! < v[j - 1]! ? v[j]! : v[j - 1]!;
    yd = (yd + 0.5) / scale - 0.5;
    yd = Math.ceil(yd < 0 ? 0 : yd > h ? h : yd);
    a.push(xd * h + yd);
  }
  a.push(h * w);
  a.sort((p, q) => p - q);
  let p = 0;
  for (let j = 0; j < a.length; j++) [a[j], p] = [a[j]! - p, a[j]!];
  const b = [a[0]!];
  for (let j = 1; j < a.length; ) {
    if (a[j]! > 0) b.push(a[j++]!);
    else if (++j < a.length) b[b.length - 1]! += a[j++]!;
  }
  return b;
}

function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe('rleFrPoly', () => {
  it('gives the C code’s counts on 4,000 random polygons', () => {
    const rnd = lcg(25);
    for (let i = 0; i < 4000; i++) {
      const h = 1 + Math.floor(rnd() * 40);
      const w = 1 + Math.floor(rnd() * 40);
      const k = 1 + Math.floor(rnd() * 7);
      const spread = [2, 10, 60, 300][i % 4]!;
      const xy = new Float64Array(2 * k);
      for (let j = 0; j < 2 * k; j++) {
        let c = (rnd() - 0.25) * spread;
        if (rnd() < 0.2) c = Math.round(c * 5) / 5; // on the upsampled grid
        if (rnd() < 0.05 && j > 1) c = xy[j - 2]!; // a vertical or horizontal edge, or a repeated vertex
        xy[j] = c;
      }
      const got = rleFrPoly(xy, k, h, w);
      assert.ok(got, `polygon ${i}`);
      assert.deepEqual([...got], literalFrPoly(xy, k, h, w), `polygon ${i}: ${h}×${w} ${JSON.stringify([...xy])}`);
    }
  });

  it('draws a box as the 4-point polygon', () => {
    const [x, y, bw, bh] = [1.3, 2.7, 5.1, 3.9];
    const got = rleFrBbox([x, y, bw, bh], 0, 12, 10);
    assert.deepEqual([...got!], literalFrPoly([x, y, x, y + bh, x + bw, y + bh, x + bw, y], 4, 12, 10));
  });
});
