/** pycocotools' rleIou (maskApi.c) for one detection and one non-crowd GT mask of one size. */

/**
 * Intersection over union of two masks of the same size, as rleIou computes it with
 * iscrowd = 0 (LVISEval passes 0 for every GT): both run lists walked at once, the pixel counts
 * in integers, then one division; 0 when they do not intersect. rleIou first skips pairs whose
 * rleToBbox boxes do not overlap; that changes nothing (masks that share a pixel have boxes that
 * overlap), and callers may do the same with the boxes they keep.
 */
export function rleIou(dt: Uint32Array, gt: Uint32Array): number {
  const ka = dt.length;
  const kb = gt.length;
  let ca = dt[0]!;
  let cb = gt[0]!;
  let va = false;
  let vb = false;
  let a = 1;
  let b = 1;
  let i = 0;
  let u = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va || vb) {
      u += c;
      if (va && vb) i += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < ka) {
      ca = dt[a++]!;
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < kb) {
      cb = gt[b++]!;
      vb = !vb;
    }
    ct += cb;
  }
  if (i === 0) u = 1;
  return i / u;
}
