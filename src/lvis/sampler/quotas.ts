/**
 * The original tool's `estimate_rare_quotas(lvis, cat_meta, tier="r", rare_cap=2, target_rare_images=None)`:
 * a per-class image quota for every rare category that has annotations.
 *
 *   H_c   = annotations of c
 *   mu_c  = max(1, H_c / images_c)          "average annotations per image"
 *   q_c   = min(rare_cap, ceil(H_c / mu_c))  "annotations → images", clipped by rare_cap
 *   then, given a target T:  q_c ← max(0, floor(q_c · T / Σ q))
 *
 * Reading: images_c is the number of distinct images that contain c, as the design text says
 * ("estimate avg annots per image for that class"). Since every such image holds at least one
 * annotation of c, H_c ≥ images_c, so mu_c = H_c / images_c and H_c / mu_c = images_c exactly:
 * we compute q_c = min(rare_cap, images_c) directly, without the floating-point round trip
 * (which can land a hair above an integer and ceil one too high). (The published Python takes
 * images_c from lvis-api's `cat_img_map`, a list with one entry per *annotation*, which makes
 * mu_c = 1 and q_c = min(rare_cap, H_c); we follow the design text.)
 *
 * The rescaling can raise quotas above rare_cap when the target exceeds Σ q (the original tool does
 * the same: its cap is soft). The target is `target_rare_images` when given, else the rare
 * tier's image budget B_r, which depends on `total_images`: the `quotas` step keeps the
 * clipped quotas and `greedy-sample` applies the rescaling with its own B_r
 * (`finalRareQuotas`), so a change of total_images does not invalidate this step.
 */
import type { Dataset } from '../dataset/dataset.js';
import { TIER_INDEX } from '../dataset/dataset.js';


export interface RareQuotas {
  rareCap: number;
  /** The rescaling target: a number of images, or 'budget' for the rare tier's budget B_r. */
  target: number | 'budget';
  /** Rare categories with at least one annotation, ascending category index. */
  categoryIndex: number[];
  categoryId: number[];
  annotations: number[];
  images: number[];
  /** min(rare_cap, images), before rescaling. */
  capped: number[];
}

export function estimateRareQuotas(ds: Dataset, rareCap: number, target: number | 'budget'): RareQuotas {
  const rare = TIER_INDEX.r;
  const nCat = ds.categories.count;
  const annotations = new Int32Array(nCat);
  const images = new Int32Array(nCat);
  const lastImage = new Int32Array(nCat).fill(-1);
  const tierOfCat = ds.categories.tier;
  const annCategory = ds.annotations.category;
  const { annOffsets, annIndex } = ds.images;
  for (let i = 0; i < ds.images.count; i++) {
    for (let p = annOffsets[i]!; p < annOffsets[i + 1]!; p++) {
      const c = annCategory[annIndex[p]!]!;
      if (tierOfCat[c] !== rare) continue;
      annotations[c]!++;
      if (lastImage[c] !== i) {
        lastImage[c] = i;
        images[c]!++;
      }
    }
  }
  const out: RareQuotas = {
    rareCap,
    target,
    categoryIndex: [],
    categoryId: [],
    annotations: [],
    images: [],
    capped: [],
  };
  for (let c = 0; c < nCat; c++) {
    if (tierOfCat[c] !== rare || annotations[c] === 0) continue;
    out.categoryIndex.push(c);
    out.categoryId.push(ds.categories.id[c]!);
    out.annotations.push(annotations[c]!);
    out.images.push(images[c]!);
    out.capped.push(Math.min(rareCap, images[c]!));
  }
  return out;
}

/** The original tool's rescaling step: q ← max(0, floor(q · target / Σ q)) when Σ q > 0. */
export function rescaleQuotas(capped: readonly number[], target: number): number[] {
  let total = 0;
  for (const q of capped) total += q;
  if (total <= 0) return capped.slice();
  const scale = target / total;
  return capped.map((q) => Math.max(0, Math.floor(q * scale)));
}

/**
 * The quota of every category index (−1 = no quota: not rare, or no annotations), after
 * rescaling to the quotas' own target or, for target 'budget', to `rareBudget`, and raised to
 * at least `minimum`.
 *
 * `minimum` is 1 when greedy-sample's cover phase is on (0 otherwise, as the original tool):
 * the cover gives every rare class with an image one image, so a quota of 0 would be broken
 * by design. (The rescaling's floor gives 0 to every class whose share of the target is under
 * one image: at 2,000 of 100k images the rare budget is 229 images for Σ q = 603, and every
 * rare class got 0.)
 */
export function finalRareQuotas(q: RareQuotas, categoryCount: number, rareBudget: number, minimum = 0): Int32Array {
  const target = q.target === 'budget' ? rareBudget : q.target;
  const scaled = rescaleQuotas(q.capped, target);
  const out = new Int32Array(categoryCount).fill(-1);
  q.categoryIndex.forEach((c, j) => (out[c] = Math.max(minimum, scaled[j]!)));
  return out;
}

