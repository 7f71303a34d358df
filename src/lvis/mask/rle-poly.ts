/**
 * pycocotools' polygon rasteriser (maskApi.c rleFrPoly) and rleFrBbox, which draws a box as a
 * 4-point polygon. The outline is upsampled by 5, walked point by point with C's rounding
 * (`(int)(v + .5)`, which truncates toward zero), and every point where it crosses a pixel
 * column's centre becomes a run boundary. Every double is computed with the same operations in
 * the same order as the C code, so that the masks come out bit for bit the same.
 *
 * The C code stores every upsampled point before it keeps the few that cross a column; here
 * each point is looked at as it is made, with only the previous one kept, so that memory grows
 * with the boundary, not the outline.
 */

const SCALE = 5;

/** Points of outline the rasteriser walks at most (about 1 s): coordinates far outside the image make it long. */
export const MAX_OUTLINE_POINTS = 1e8;

/** Why rleFrPoly refused a polygon (set when it returns undefined). */
export let polygonProblem = '';

/** C's `(int) v` on x86-64: truncation toward zero; NaN and values out of range give INT_MIN. */
function cInt(v: number): number {
  return v > -2147483649 && v < 2147483648 ? Math.trunc(v) : -2147483648;
}

/**
 * The counts of polygon xy[0 .. 2k) (x0, y0, x1, y1, …) on an h × w image, or undefined when
 * its outline is longer than MAX_OUTLINE_POINTS upsampled points (polygonProblem says so).
 */
export function rleFrPoly(xy: ArrayLike<number>, k: number, h: number, w: number): Uint32Array | undefined {
  const x = new Int32Array(k + 1);
  const y = new Int32Array(k + 1);
  for (let j = 0; j < k; j++) x[j] = cInt(SCALE * xy[j * 2]! + 0.5);
  x[k] = x[0]!;
  for (let j = 0; j < k; j++) y[j] = cInt(SCALE * xy[j * 2 + 1]! + 0.5);
  y[k] = y[0]!;
  let points = 0;
  for (let j = 0; j < k; j++) points += Math.max(Math.abs(x[j]! - x[j + 1]!), Math.abs(y[j]! - y[j + 1]!)) + 1;
  if (points > MAX_OUTLINE_POINTS) {
    polygonProblem = `its outline is ${points} points long at pycocotools' 5× upsampling (at most ${MAX_OUTLINE_POINTS}): its coordinates reach far outside the ${w} × ${h} image`;
    return undefined;
  }
  const boundary = new ColumnCrossings(h, w);
  for (let j = 0; j < k; j++) walkEdge(x[j]!, y[j]!, x[j + 1]!, y[j + 1]!, boundary);
  return boundary.counts();
}

/** One edge's upsampled points, from (xs, ys) to (xe, ye) inclusive, in the C code's order. */
function walkEdge(xs: number, ys: number, xe: number, ye: number, out: ColumnCrossings): void {
  const dx = Math.abs(xe - xs);
  const dy = Math.abs(ys - ye);
  const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
  if (flip) {
    let t = xs;
    xs = xe;
    xe = t;
    t = ys;
    ys = ye;
    ye = t;
  }
  // A zero-length edge divides 0 by 0: NaN, and then C's (int) NaN, as in maskApi.c.
  const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
  if (dx >= dy) {
    for (let d = 0; d <= dx; d++) {
      const t = flip ? dx - d : d;
      out.point(t + xs, cInt(ys + s * t + 0.5));
    }
  } else {
    for (let d = 0; d <= dy; d++) {
      const t = flip ? dy - d : d;
      out.point(cInt(xs + s * t + 0.5), t + ys);
    }
  }
}

/**
 * The second half of rleFrPoly: where consecutive upsampled points change column, a point on a
 * pixel column's centre (inside the image) becomes a run boundary `x * h + y`; then the
 * boundaries, sorted, become counts.
 */
class ColumnCrossings {
  private a = new Uint32Array(64);
  private n = 0;
  private first = true;
  private pu = 0;
  private pv = 0;

  constructor(
    private readonly h: number,
    private readonly w: number,
  ) {}

  point(u: number, v: number): void {
    if (this.first) this.first = false;
    else if (u !== this.pu) this.crossing(u, v);
    this.pu = u;
    this.pv = v;
  }

  private crossing(u: number, v: number): void {
    let xd = u < this.pu ? u : u - 1;
    xd = (xd + 0.5) / SCALE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > this.w - 1) return;
    let yd = v < this.pv ? v : this.pv;
    yd = (yd + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > this.h) yd = this.h;
    yd = Math.ceil(yd);
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = xd * this.h + yd;
  }

  /** Sorted boundaries to run lengths; a zero-length run joins its neighbours (as in C). */
  counts(): Uint32Array {
    const k = this.n + 1;
    const a = new Uint32Array(k);
    a.set(this.a.subarray(0, this.n));
    a[this.n] = this.h * this.w;
    a.sort();
    let p = 0;
    for (let j = 0; j < k; j++) {
      const t = a[j]!;
      a[j] = t - p;
      p = t;
    }
    const b = new Uint32Array(k);
    let m = 0;
    let j = 0;
    b[m++] = a[j++]!;
    while (j < k) {
      if (a[j]! > 0) b[m++] = a[j++]!;
      else {
        j++;
        if (j < k) b[m - 1]! += a[j++]!;
      }
    }
    return b.slice(0, m);
  }
}

/** rleFrBbox: the box [x, y, w, h] as the polygon (x, y), (x, y+h), (x+w, y+h), (x+w, y). */
export function rleFrBbox(bb: ArrayLike<number>, o: number, h: number, w: number): Uint32Array | undefined {
  const xs = bb[o]!;
  const xe = xs + bb[o + 2]!;
  const ys = bb[o + 1]!;
  const ye = ys + bb[o + 3]!;
  return rleFrPoly([xs, ys, xs, ye, xe, ye, xe, ys], 4, h, w);
}
