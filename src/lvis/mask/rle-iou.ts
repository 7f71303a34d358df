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

/**
 * The pixels two masks of the same size share: their foreground runs, taken as intervals of
 * the column-major pixel order, intersected with two pointers. Half the steps of rleIou's walk
 * (background runs are not visited), and mask AP's hottest loop. With the masks' areas, the IoU
 * is `i / (areaA + areaB - i)`: rleIou's union is that same integer, so the double is the same.
 * With the end of each mask's last foreground run (endA, endB), the walk stops once one list
 * has passed the other's end.
 */
export function rleIntersection(a: Uint32Array, b: Uint32Array, endA = Infinity, endB = Infinity): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  // Current foreground runs [sa, ea) and [sb, eb): run j (odd) starts after counts 0..j-1.
  let ja = 1;
  let jb = 1;
  let sa = a[0]!;
  let sb = b[0]!;
  if (ja >= na || jb >= nb) return 0;
  let ea = sa + a[1]!;
  let eb = sb + b[1]!;
  for (;;) {
    const lo = sa > sb ? sa : sb;
    const hi = ea < eb ? ea : eb;
    if (hi > lo) i += hi - lo;
    if (ea <= eb) {
      // Next foreground run of a: past this run and the background after it.
      if (ja + 2 >= na) return i;
      sa = ea + a[ja + 1]!;
      ea = sa + a[ja + 2]!;
      ja += 2;
      if (sa >= endB) return i; // past b's last foreground pixel
    } else {
      if (jb + 2 >= nb) return i;
      sb = eb + b[jb + 1]!;
      eb = sb + b[jb + 2]!;
      jb += 2;
      if (sb >= endA) return i;
    }
  }
}
