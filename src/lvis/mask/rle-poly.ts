/**
 * pycocotools' polygon rasteriser (maskApi.c rleFrPoly) and rleFrBbox, which draws a box as a
 * 4-point polygon. The outline is upsampled by 5, walked point by point with C's rounding
 * (`(int)(v + .5)`, which truncates toward zero), and every point where it crosses a pixel
 * column's centre becomes a run boundary. Every double is computed with the same operations in
 * the same order as the C code, so that the masks come out bit for bit the same.
 *
 * Two things differ from the C code, neither in the result: it stores every upsampled point and
 * then keeps the few that cross a column, while here each point is looked at as it is made
 * (memory grows with the boundary, not the outline); and only the points where a column centre
 * can be crossed are computed at all: on an edge longer in x, one point in five; on an edge
 * longer in y, the one point where x passes each such centre, found by search. GT rasterising
 * is a large part of mask AP's time. test/mask-rle-poly.test.ts holds both to a line-by-line
 * port of the C code.
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

let xs32 = new Int32Array(64);
let ys32 = new Int32Array(64);

/**
 * The counts of polygon xy[0 .. 2k) (x0, y0, x1, y1, …) on an h × w image, or undefined when
 * its outline is longer than MAX_OUTLINE_POINTS upsampled points (polygonProblem says so). The
 * counts are a view of a buffer the next call reuses: copy them to keep them (a new array per
 * polygon cost a fifth of the rasteriser's time).
 */
export function rleFrPoly(xy: ArrayLike<number>, k: number, h: number, w: number): Uint32Array | undefined {
  if (xs32.length < k + 1) {
    xs32 = new Int32Array(2 * (k + 1));
    ys32 = new Int32Array(2 * (k + 1));
  }
  const x = xs32;
  const y = ys32;
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
  crossings.reset(h, w);
  for (let j = 0; j < k; j++) walkEdge(x[j]!, y[j]!, x[j + 1]!, y[j + 1]!);
  return crossings.counts();
}

/** One edge's upsampled points, from (xs, ys) to (xe, ye) inclusive, in the C code's order. */
function walkEdge(xs: number, ys: number, xe: number, ye: number): void {
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
  if (dx >= dy) walkAlongX(xs, ys, s, dx, flip);
  else walkAlongY(xs, ys, s, dy, flip);
}

/**
 * An edge longer in x: point d is (t + xs, (int)(ys + s*t + .5)) with t = flip ? dx - d : d, so
 * x moves by one per point and two neighbours cross a column centre exactly when the smaller x
 * is 2 modulo 5 (`(x + .5) / 5 - .5` is a whole number): only those pairs are computed.
 */
function walkAlongX(xs: number, ys: number, s: number, dx: number, flip: boolean): void {
  // v at t is cInt(ys + s * t + 0.5), written out at each use: a closure per edge cost an allocation per polygon point.
  const t0 = flip ? dx : 0;
  crossings.point(t0 + xs, cInt(ys + s * t0 + 0.5));
  if (dx === 0) return;
  // Pairs (d-1, d) for d = 1..dx; in t: unflipped (t-1, t), flipped (t+1, t).
  const step = flip ? -1 : 1;
  for (let d = firstPair(xs, t0, step); d <= dx; d += 5) {
    const t = flip ? dx - d : d;
    const pt = t - step;
    crossings.crossing(t + xs, cInt(ys + s * t + 0.5), pt + xs, cInt(ys + s * pt + 0.5));
  }
  const tEnd = flip ? 0 : dx;
  crossings.moveTo(tEnd + xs, cInt(ys + s * tEnd + 0.5));
}

/** The first d >= 1 whose pair (d-1, d) has its smaller x at 2 modulo 5. */
function firstPair(xs: number, t0: number, step: number): number {
  for (let d = 1; d <= 5; d++) {
    const a = xs + t0 + step * d;
    const b = a - step;
    if ((((Math.min(a, b) - 2) % 5) + 5) % 5 === 0) return d;
  }
  return 6; // unreachable: one of five consecutive pairs has it
}

/** Point d's x on an edge longer in y (walkAlongY): cInt(xs + s * (c0 + step * d) + 0.5). */
function uAt(xs: number, s: number, c0: number, step: number, d: number): number {
  return cInt(xs + s * (c0 + step * d) + 0.5);
}

/**
 * An edge longer in y: point d is ((int)(xs + s*t + .5), t + ys) with t = flip ? dy - d : d.
 * Its x (u) is monotone in d (each operation rounds monotonically) and moves by less than one
 * per point, so it crosses a column centre only where it passes from a to a + 1 (either way)
 * with a 2 modulo 5: for each such a, the point where it does is found (an estimate, then
 * checked against its neighbours with the same expression), and only there is u computed.
 */
function walkAlongY(xs: number, ys: number, s: number, dy: number, flip: boolean): void {
  const c0 = flip ? dy : 0;
  const step = flip ? -1 : 1;
  const u0 = uAt(xs, s, c0, step, 0);
  const u1 = uAt(xs, s, c0, step, dy);
  crossings.point(u0, c0 + ys);
  if (u0 !== u1) {
    const up = u1 > u0;
    const lo = Math.min(u0, u1);
    const hi = Math.max(u0, u1);
    for (let a = lo + ((((2 - lo) % 5) + 5) % 5); a < hi; a += 5) {
      const d = changeAt(xs, s, c0, step, up, a, dy);
      crossings.crossing(uAt(xs, s, c0, step, d), c0 + step * d + ys, uAt(xs, s, c0, step, d - 1), c0 + step * (d - 1) + ys);
    }
  }
  crossings.moveTo(u1, c0 + step * dy + ys);
}

/** Whether point d's x has passed a: above it (`up`), or down to it. */
function passed(xs: number, s: number, c0: number, step: number, up: boolean, a: number, d: number): boolean {
  const u = uAt(xs, s, c0, step, d);
  return up ? u > a : u <= a;
}

/**
 * The first d in [1, dy] where point d's x has passed from a to a + 1 (`up`) or from a + 1 to
 * a: estimated from the line v0 + slope·d, then moved until point d - 1 has not passed and
 * point d has (exact: x is monotone in d, and point dy has passed).
 */
function changeAt(xs: number, s: number, c0: number, step: number, up: boolean, a: number, dy: number): number {
  const v0 = xs + 0.5 + s * c0;
  const slope = s * step;
  let d = Math.ceil((a + 1 - v0) / slope);
  d = d >= 1 && d <= dy ? d : d > dy ? dy : 1; // (NaN too: to 1)
  while (d > 1 && passed(xs, s, c0, step, up, a, d - 1)) d--;
  while (!passed(xs, s, c0, step, up, a, d)) d++;
  return d;
}

/**
 * The second half of rleFrPoly: where consecutive upsampled points change column, a point on a
 * pixel column's centre (inside the image) becomes a run boundary `x * h + y`; then the
 * boundaries, sorted, become counts.
 */
class ColumnCrossings {
  private a = new Uint32Array(256);
  /** Each boundary's column (for the counting sort). */
  private col = new Int32Array(256);
  private sorted = new Uint32Array(256);
  private bucket = new Int32Array(64);
  private minCol = 0;
  private maxCol = 0;
  private n = 0;
  private first = true;
  private pu = 0;
  private pv = 0;
  private h = 0;
  private w = 0;

  reset(h: number, w: number): void {
    this.h = h;
    this.w = w;
    this.n = 0;
    this.first = true;
    this.minCol = Infinity;
    this.maxCol = -Infinity;
  }

  /** A point after the previous one (or the very first). */
  point(u: number, v: number): void {
    if (this.first) this.first = false;
    else if (u !== this.pu) this.crossing(u, v, this.pu, this.pv);
    this.pu = u;
    this.pv = v;
  }

  /** The last point an edge walk reached (it checked the crossings before it). */
  moveTo(u: number, v: number): void {
    this.pu = u;
    this.pv = v;
  }

  /** The boundary between point (pu, pv) and the next point (u, v), if it is one. */
  crossing(u: number, v: number, pu: number, pv: number): void {
    let xd = u < pu ? u : u - 1;
    xd = (xd + 0.5) / SCALE - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > this.w - 1) return;
    let yd = v < pv ? v : pv;
    yd = (yd + 0.5) / SCALE - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > this.h) yd = this.h;
    yd = Math.ceil(yd);
    if (this.n === this.a.length) this.grow(this.n + 1);
    if (xd < this.minCol) this.minCol = xd;
    if (xd > this.maxCol) this.maxCol = xd;
    this.col[this.n] = xd;
    this.a[this.n++] = xd * this.h + yd;
  }

  private grow(k: number): void {
    const cap = Math.max(k, 2 * this.a.length);
    const a = new Uint32Array(cap);
    const col = new Int32Array(cap);
    a.set(this.a.subarray(0, this.n));
    col.set(this.col.subarray(0, this.n));
    this.a = a;
    this.col = col;
    this.sorted = new Uint32Array(cap);
  }

  /**
   * The boundaries a[0 .. n) in ascending order (as qsort does in maskApi.c; equal values in
   * any order give the same counts) into sorted[0 .. n): a counting sort by column, then each
   * column's few boundaries (two for a convex outline) by insertion. A merge sort of the
   * outline's monotone stretches was the rasteriser's largest cost: outlines turn often.
   */
  private sortBoundaries(): Uint32Array {
    const n = this.n;
    const { a, col, sorted } = this;
    if (n === 0) return sorted;
    if (this.h * this.w >= 2 ** 32) {
      // Boundaries past 2^32 wrapped as C's uint does: their order is no longer the columns'.
      sorted.set(a.subarray(0, n));
      sorted.subarray(0, n).sort();
      return sorted;
    }
    const lo = this.minCol;
    const span = this.maxCol - lo + 1;
    if (this.bucket.length < span + 1) this.bucket = new Int32Array(Math.max(span + 1, 2 * this.bucket.length));
    const start = this.bucket;
    start.fill(0, 0, span + 1);
    for (let i = 0; i < n; i++) start[col[i]! - lo + 1]!++;
    for (let c = 0; c < span; c++) start[c + 1]! += start[c]!;
    for (let i = 0; i < n; i++) sorted[start[col[i]! - lo]!++] = a[i]!;
    // start[c] is now the end of column c's boundaries (and the start of column c + 1's).
    let from = 0;
    for (let c = 0; c < span; c++) {
      const to = start[c]!;
      if (to - from > 32) sorted.subarray(from, to).sort();
      else {
        for (let i = from + 1; i < to; i++) {
          const v = sorted[i]!;
          let j = i - 1;
          while (j >= from && sorted[j]! > v) {
            sorted[j + 1] = sorted[j]!;
            j--;
          }
          sorted[j + 1] = v;
        }
      }
      from = to;
    }
    return sorted;
  }

  /** Sorted boundaries to run lengths; a zero-length run joins its neighbours (as in C). */
  counts(): Uint32Array {
    const k = this.n + 1;
    if (this.a.length < k) this.grow(k);
    const a = this.sortBoundaries().subarray(0, k);
    a[this.n] = this.h * this.w; // (above every boundary: the last)
    let p = 0;
    for (let j = 0; j < k; j++) {
      const t = a[j]!;
      a[j] = t - p;
      p = t;
    }
    // In place: b[m] never runs ahead of a[j].
    let m = 0;
    let j = 0;
    a[m++] = a[j++]!;
    while (j < k) {
      if (a[j]! > 0) a[m++] = a[j++]!;
      else {
        j++;
        if (j < k) a[m - 1]! += a[j++]!;
      }
    }
    return a.subarray(0, m);
  }
}

const crossings = new ColumnCrossings();

/** rleFrBbox: the box [x, y, w, h] as the polygon (x, y), (x, y+h), (x+w, y+h), (x+w, y); the counts as rleFrPoly returns them (a reused buffer). */
export function rleFrBbox(bb: ArrayLike<number>, o: number, h: number, w: number): Uint32Array | undefined {
  const xs = bb[o]!;
  const xe = xs + bb[o + 2]!;
  const ys = bb[o + 1]!;
  const ye = ys + bb[o + 3]!;
  return rleFrPoly([xs, ys, xs, ye, xe, ye, xe, ys], 4, h, w);
}
