/**
 * Kept categories: the original tool's `kept_categories(imgs_best_sample)`, the categories that
 * appear in at least one annotation of the sampled subset. The prune steps reduce val/test
 * GT and predictions to them, so that evaluation covers only what the subset can teach.
 *
 * They travel as their own small artifact (`lvis.kept-categories`), not as part of the
 * sample: the prune steps' cache keys then depend on the set of categories only, so two
 * samples that keep the same categories share their pruned val files.
 */
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import type { Dataset } from '../dataset/dataset.js';


export interface KeptCategories {
  /** Category ids, ascending. */
  ids: number[];
  /** The same categories' names, for people reading the artifact. */
  names: string[];
}


/**
 * The categories of the annotations on `imageIndices`, as category indices, ascending.
 */
export function keptCategoryIndices(ds: Dataset, imageIndices: ArrayLike<number>): Int32Array {
  const seen = new Uint8Array(ds.categories.count);
  const { annOffsets, annIndex } = ds.images;
  const category = ds.annotations.category;
  for (let i = 0; i < imageIndices.length; i++) {
    const img = imageIndices[i]!;
    for (let k = annOffsets[img]!; k < annOffsets[img + 1]!; k++) seen[category[annIndex[k]!]!] = 1;
  }
  const out: number[] = [];
  for (let c = 0; c < seen.length; c++) if (seen[c]) out.push(c);
  return Int32Array.from(out);
}

export function keptCategoriesOf(ds: Dataset, categoryIndices: ArrayLike<number>): KeptCategories {
  const pairs = Array.from(categoryIndices, (c) => ({ id: ds.categories.id[c]!, name: ds.categories.name[c]! }));
  pairs.sort((a, b) => a.id - b.id);
  return { ids: pairs.map((p) => p.id), names: pairs.map((p) => p.name) };
}

/**
 * Where a prune step's kept categories come from: the `kept` input (an artifact) or the
 * `categories` option (a list of ids the user typed). Exactly one must be given.
 */
export function keptIdsFromInputOrOption(
  stepId: string,
  kept: KeptCategories | undefined,
  categoriesOption: number[] | undefined,
): number[] {
  if (kept && categoriesOption) {
    throw configError(stepId, 'give the kept categories either as the `kept` input or as the `categories` option, not both');
  }
  if (!kept && !categoriesOption) {
    throw configError(
      stepId,
      'no kept categories: wire the `kept` input (e.g. from a `kept-categories` step) or list category ids in the `categories` option',
    );
  }
  return kept ? kept.ids : categoriesOption!;
}

/**
 * A mask over `ds`'s categories: 1 for each kept id. Every kept id must be a category of
 * `ds` (a kept id that the GT file does not know means the subset and the GT come from
 * different LVIS versions, e.g. v1 ids against a v0.5 val file).
 */
/**
 * Marks the kept categories of `ds`. A kept id the file does not have is an error; so is a
 * kept id that names a different category in the file (`keptNames`, aligned with `keptIds`,
 * when the kept categories come with names): LVIS v0.5 and v1 both number categories from 1,
 * but 1,120 of v1's 1,203 ids name another category in v0.5, so ids alone can't tell them apart.
 */
export function keptCategoryMask(ds: Dataset, keptIds: readonly number[], from: string, keptNames?: readonly string[]): Uint8Array {
  const indexOfId = new Map<number, number>();
  for (let c = 0; c < ds.categories.count; c++) indexOfId.set(ds.categories.id[c]!, c);
  const mask = new Uint8Array(ds.categories.count);
  const unknown: number[] = [];
  const renamed: string[] = [];
  keptIds.forEach((id, k) => {
    const c = indexOfId.get(id);
    if (c === undefined) {
      unknown.push(id);
      return;
    }
    mask[c] = 1;
    const want = keptNames?.[k];
    if (want !== undefined && want !== ds.categories.name[c]) renamed.push(`id ${id} is \`${want}\` in the subset but \`${ds.categories.name[c]}\` here`);
  });
  const list = (xs: readonly (string | number)[], sep: string) => xs.slice(0, 10).join(sep) + (xs.length > 10 ? `${sep}… (${xs.length - 10} more)` : '');
  const problems: string[] = [];
  if (unknown.length) problems.push(`${unknown.length} kept category id(s) from ${from} are not categories of this file: ${list(unknown, ', ')}.`);
  if (renamed.length) problems.push(`${renamed.length} of ${keptIds.length} kept category ids from ${from} name other categories in this file: ${list(renamed, '; ')}.`);
  if (problems.length) {
    throw new DiagnosticError([
      {
        severity: 'error',
        message: `${problems.join(' ')} Are the subset and this file from the same LVIS version? (v0.5 and v1 number their categories differently.)`,
        location: { file: displayPath(ds.source.path) },
      },
    ]);
  }
  return mask;
}

function configError(stepId: string, message: string): DiagnosticError {
  return new DiagnosticError([{ severity: 'error', message: `step \`${stepId}\`: ${message}` }], 2);
}
