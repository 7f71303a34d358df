/**
 * Pruning the category lists of LVIS image records: `neg_category_ids` and
 * `not_exhaustive_category_ids` may only name categories the file still has. Used by
 * `prune-gt`, and by `write` with `categories: kept`.
 *
 * The Dataset says which images need an edit (their lists as category indices), so only
 * those records are read and edited, textually: their other fields keep their exact bytes.
 */
import type { Dataset } from '../dataset/dataset.js';
import { filterArrayText, objectMembers } from '../write/json-members.js';

const LIST_FIELDS: readonly string[] = ['neg_category_ids', 'not_exhaustive_category_ids'];

export interface CategoryListEdits {
  /** Record edits for writeLvisJson, by image index. */
  edits: Map<number, (recordText: string) => string>;
  negIdsDropped: number;
  notExhaustiveIdsDropped: number;
}

/** Edits for the images in `images` whose lists name a category not flagged in `keptMask`. */
export function categoryListEdits(ds: Dataset, images: ArrayLike<number>, keptMask: Uint8Array): CategoryListEdits {
  const keptIds = new Set<number>();
  for (let c = 0; c < ds.categories.count; c++) if (keptMask[c]) keptIds.add(ds.categories.id[c]!);
  const isKeptIdText = (text: string) => keptIds.has(Number(text));
  const edit = (text: string) => pruneCategoryLists(text, isKeptIdText);

  const edits = new Map<number, (recordText: string) => string>();
  let negIdsDropped = 0;
  let notExhaustiveIdsDropped = 0;
  for (let k = 0; k < images.length; k++) {
    const i = images[k]!;
    const neg = countDropped(ds.images.negCategories, i, keptMask);
    const notExhaustive = countDropped(ds.images.notExhaustiveCategories, i, keptMask);
    if (neg + notExhaustive > 0) edits.set(i, edit);
    negIdsDropped += neg;
    notExhaustiveIdsDropped += notExhaustive;
  }
  return { edits, negIdsDropped, notExhaustiveIdsDropped };
}

/**
 * An image record with its neg / not-exhaustive lists reduced to the ids `isKept` accepts.
 * Everything else in the record keeps its exact text; a list that is absent stays absent.
 */
export function pruneCategoryLists(imageText: string, isKept: (idText: string) => boolean): string {
  const lists = objectMembers(imageText)
    .filter((m) => LIST_FIELDS.includes(m.key))
    .sort((a, b) => b.valueStart - a.valueStart); // edit back to front: offsets stay valid
  let text = imageText;
  for (const m of lists) {
    text = text.slice(0, m.valueStart) + filterArrayText(text.slice(m.valueStart, m.valueEnd), isKept) + text.slice(m.valueEnd);
  }
  return text;
}

function countDropped(list: { offsets: Int32Array; values: Int32Array }, image: number, keptMask: Uint8Array): number {
  let n = 0;
  for (let k = list.offsets[image]!; k < list.offsets[image + 1]!; k++) if (!keptMask[list.values[k]!]) n++;
  return n;
}
