/**
 * The cover phase of `greedy-sample` (option `cover`, default true; not in the original tool): before
 * the greedy phase, make sure every category with at least one annotated image is in the
 * subset.
 *
 *   for each category c, rarest first (ascending number of images, ties by category index):
 *     if no selected image contains c:
 *       among c's images, pick the one that
 *         1. pushes no rare class over its quota, when c has such an image ("respecting rare
 *            quotas where possible"),
 *         2. covers the most still-uncovered categories,
 *         3. has the lowest objective J(S ∪ {i}) (the same delta order),
 *         4. has the lowest image index
 *       and add it.
 *
 * With the `js` mismatch (the default), a density band or a density term in the objective
 * (λ_density > 0), 2 and 3 change places: the lowest score first, then the most uncovered
 * categories. With a density band (density-band.ts), the band's excess ranks between 1 and
 * the rest: an image that keeps the subset inside the band beats one that does not. (`js`
 * ranks by its own pick score, objective-js.ts, which compares at the subset's sampling rate.) "Most uncovered categories" alone
 * picks the most crowded of a category's images (a crowded image holds more categories):
 * at full scale the cover's ~470 images held 36 annotations each against the full set's 12.8,
 * and at 2,000 images they are a quarter of the subset, more than the greedy picks after them
 * can even out. Ranked by J, which holds the density term, the cover's images look like the
 * full set's; it takes more of them (~600 instead of ~470 at full scale) and they hold ~17
 * annotations each (bench/sampler.ts).
 *
 * The images count toward the tier budgets (they are in the objective state like any pick).
 * When total_images is smaller than the cover needs, categories are covered rarest first
 * until the budget is spent, and the rest are reported. A category's images are every image
 * with an annotation of it (bucketed or not), matching the quality report's coverage.
 *
 * `CoverTracker` also keeps, per category, how many selected images contain it, so that
 * refinement can avoid swapping out the last image of a category.
 */
import { emptyTrace, pushTrace, type ObjectiveState, type ObjectiveTrace } from './objective.js';

export class CoverTracker {
  /** Per image: its distinct categories (CSR, ascending). */
  readonly catOffsets: Int32Array;
  readonly cats: Int32Array;
  /** Per category: its images (CSR, ascending image index). */
  readonly imgOffsets: Int32Array;
  readonly imgs: Int32Array;
  /** Per category: selected images containing it. */
  readonly count: Int32Array;

  constructor(readonly state: ObjectiveState) {
    const nImg = state.p.ds.images.count;
    const nCat = state.p.ds.categories.count;
    // The problem's per-image category lists, and their inverse: per category, its images.
    const { catOffsets, cats } = state.p;
    const imagesOf = new Int32Array(nCat + 1);
    for (let q = 0; q < cats.length; q++) imagesOf[cats[q]! + 1]!++;
    this.catOffsets = catOffsets;
    this.cats = cats;
    for (let c = 0; c < nCat; c++) imagesOf[c + 1] += imagesOf[c]!;
    this.imgOffsets = imagesOf;
    const fill = imagesOf.slice(0, nCat);
    this.imgs = new Int32Array(cats.length);
    for (let i = 0; i < nImg; i++) {
      for (let q = catOffsets[i]!; q < catOffsets[i + 1]!; q++) this.imgs[fill[this.cats[q]!]!++] = i;
    }
    this.count = new Int32Array(nCat);
    for (let i = 0; i < nImg; i++) if (state.selected[i]) this.onAdd(i);
  }

  imageCountOf(c: number): number {
    return this.imgOffsets[c + 1]! - this.imgOffsets[c]!;
  }

  onAdd(i: number): void {
    for (let q = this.catOffsets[i]!; q < this.catOffsets[i + 1]!; q++) this.count[this.cats[q]!]!++;
  }

  onRemove(i: number): void {
    for (let q = this.catOffsets[i]!; q < this.catOffsets[i + 1]!; q++) this.count[this.cats[q]!]!--;
  }

  /** True when a selected image i is the only selected image of some category. */
  isLastCover(i: number): boolean {
    for (let q = this.catOffsets[i]!; q < this.catOffsets[i + 1]!; q++) if (this.count[this.cats[q]!] === 1) return true;
    return false;
  }

  /** Categories with at least one image, rarest first (ascending image count, then index). */
  coverOrder(): number[] {
    const nCat = this.count.length;
    const order: number[] = [];
    for (let c = 0; c < nCat; c++) if (this.imageCountOf(c) > 0) order.push(c);
    return order.sort((a, b) => this.imageCountOf(a) - this.imageCountOf(b) || a - b);
  }
}

export interface CoverResult {
  /** Images added by the cover phase, in pick order. */
  order: number[];
  /** J(S) and its terms after each cover pick. */
  trace: ObjectiveTrace;
  /** Categories with at least one image. */
  coverable: number;
  /** Of those, covered when the phase ended (by its picks or images already selected). */
  covered: number;
  /** Covered with an image that pushed some rare class over its quota (no other choice). */
  overQuota: number;
  /** Categories left uncovered because the budget ran out (rarest first was kept). */
  leftForBudget: number;
}

export function runCover(
  state: ObjectiveState,
  tracker: CoverTracker,
  budget: number,
  onPick?: (size: number) => void,
): CoverResult {
  const p = state.p;
  const { rareOffsets, rareCategories, quota } = p;
  const order = tracker.coverOrder();
  const result: CoverResult = {
    order: [], trace: emptyTrace(), coverable: order.length, covered: 0, overQuota: 0, leftForBudget: 0,
  };
  const pushesOverQuota = (i: number): boolean => {
    for (let q = rareOffsets[i]!; q < rareOffsets[i + 1]!; q++) {
      const c = rareCategories[q]!;
      if (state.presence[c]! >= quota[c]!) return true;
    }
    return false;
  };
  const byScore = p.js || p.lambdaDensity !== 0 || state.band !== null;
  const annotations = p.density.count;
  for (const c of order) {
    if (tracker.count[c]! > 0) continue;
    if (state.size >= budget) {
      result.leftForBudget++;
      continue;
    }
    let best = -1;
    let bestOver = true;
    let bestNew = -1;
    let bestScore = Infinity;
    let bestExcess = Infinity;
    state.band?.prepareAdd();
    const excess = state.band?.excess;
    for (let r = tracker.imgOffsets[c]!; r < tracker.imgOffsets[c + 1]!; r++) {
      const i = tracker.imgs[r]!; // never selected: c is uncovered
      const over = pushesOverQuota(i);
      if (over && !bestOver) continue;
      let fresh = 0;
      for (let q = tracker.catOffsets[i]!; q < tracker.catOffsets[i + 1]!; q++) if (tracker.count[tracker.cats[q]!] === 0) fresh++;
      const score = state.scoreIfAdd(i);
      const e = excess ? excess[annotations[i]!]! : 0;
      let better: boolean;
      if (best < 0 || (bestOver && !over)) better = true;
      else if (e !== bestExcess) better = e < bestExcess;
      else if (byScore) better = score < bestScore || (score === bestScore && fresh > bestNew);
      else better = fresh > bestNew || (fresh === bestNew && score < bestScore);
      // Images are walked in ascending index, so a tie keeps the earlier (lower) index.
      if (better) {
        best = i;
        bestOver = over;
        bestNew = fresh;
        bestScore = score;
        bestExcess = e;
      }
    }
    if (bestOver) result.overQuota++;
    state.add(best);
    tracker.onAdd(best);
    result.order.push(best);
    pushTrace(result.trace, state);
    onPick?.(state.size);
  }
  for (const c of order) if (tracker.count[c]! > 0) result.covered++;
  return result;
}
