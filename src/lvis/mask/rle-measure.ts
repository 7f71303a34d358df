/** pycocotools' rleArea and rleToBbox (maskApi.c) on one run-length mask. */

/** Pixels in the mask: the sum of its odd (foreground) counts (rleArea). */
export function rleArea(counts: ArrayLike<number>): number {
  let a = 0;
  for (let j = 1; j < counts.length; j += 2) a += counts[j]!;
  return a;
}

/**
 * The mask's bounding box [x, y, w, h] into out[o .. o+4) (rleToBbox; counts are column-major
 * runs of an h × w image). This is the version `pip install pycocotools` builds (2.0.x, which
 * skips zero-length foreground runs); for the RLEs pycocotools writes it gives the same boxes
 * as cocoapi 8c9bcc3's. Kept exact where it is odd: [0, 0, 0, 0] when there are fewer than two
 * counts, and C's unsigned wrap-around in w and h for a mask whose counts have no foreground
 * pixel.
 */
export function rleToBbox(counts: ArrayLike<number>, h: number, w: number, out: Float64Array, o = 0): void {
  const m = counts.length - (counts.length % 2);
  if (m === 0) {
    out.fill(0, o, o + 4);
    return;
  }
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  for (let j = 0; j < m; j++) {
    const start = cc;
    cc += counts[j]!;
    if (j % 2 === 0 || counts[j] === 0) continue; // background, or an empty foreground run
    const yStart = start % h;
    const xStart = (start - yStart) / h;
    const yEnd = (cc - 1) % h;
    const xEnd = (cc - 1 - yEnd) / h;
    xs = Math.min(xs, xStart);
    xe = Math.max(xe, xEnd);
    if (xStart < xEnd) {
      ys = 0; // the run goes across columns
      ye = h - 1;
    } else {
      ys = Math.min(ys, yStart);
      ye = Math.max(ye, yEnd);
    }
  }
  out[o] = xs;
  out[o + 1] = ys;
  out[o + 2] = (xe - xs + 1) >>> 0;
  out[o + 3] = (ye - ys + 1) >>> 0;
}
