/** pycocotools' rleMerge (maskApi.c): the union (or intersection) of masks of one size. */

/**
 * The counts of the union of `masks` (intersection with `intersect`), step for step as rleMerge
 * computes them, so that even unusual counts (zero-length runs) merge to the same result. All
 * masks have the size h × w (the caller checks; rleMerge gives an empty 0 × 0 mask otherwise).
 */
export function rleMerge(masks: readonly Uint32Array[], h: number, w: number, intersect = false): Uint32Array {
  if (masks.length === 0) return new Uint32Array(0);
  if (masks.length === 1) return masks[0]!.slice();
  let cnts: Uint32Array = masks[0]!.slice();
  for (let i = 1; i < masks.length; i++) {
    const A = cnts;
    const B = masks[i]!;
    // A run of the result ends only where one of A's or B's does: at most as many as both have.
    const out = new Uint32Array(A.length + B.length + 1);
    let ca = A[0]!;
    let cb = B[0]!;
    let v = false;
    let va = false;
    let vb = false;
    let m = 0;
    let a = 1;
    let b = 1;
    let cc = 0;
    let ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++]!;
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.length) {
        cb = B[b++]!;
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = intersect ? va && vb : va || vb;
      if (v !== vp || ct === 0) {
        out[m++] = cc;
        cc = 0;
      }
    }
    cnts = out.subarray(0, m);
  }
  return cnts;
}
