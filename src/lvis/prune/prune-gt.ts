/**
 * `prune-gt`: the original tool's prune_gt. Reduces a val/test GT file to the kept categories:
 * - annotations of other categories are dropped;
 * - every image's `neg_category_ids` and `not_exhaustive_category_ids` lose the dropped
 *   categories (only those image records are edited, textually; all others, and every
 *   annotation, are copied byte for byte);
 * - the categories list keeps only the kept ones, or (listAllCategories) stays whole;
 * - with `dropEmptyImages`, images left without annotations are dropped too.
 *
 * The file is streamed from the Dataset's source (the `load` step of the same file did the
 * parsing and validation), so val files of any size work.
 */
import { basename } from 'node:path';
import type { Dataset } from '../dataset/dataset.js';
import { categoryListEdits } from './category-lists.js';
import { writeFileAtomically } from '../write/output-file.js';
import { infoWithProvenance, planInSourceOrder, writeLvisJson, type MemberValue, type WriteProgress } from '../write/lvis-json.js';


/** The image ids of a (pruned) GT file: the images predictions may refer to. */
export interface GtImages {
  /** Image ids, in file order. */
  ids: number[];
  /** Their heights and widths (NaN where the file has none), for the masks of detections on them. */
  heights?: number[];
  widths?: number[];
}

/** An image's height and width by id, from GtImages (undefined when not known). */
export function imageSizeOf(images: GtImages): (id: number) => { h: number; w: number } | undefined {
  const at = new Map(images.ids.map((id, i) => [id, i]));
  return (id) => {
    const i = at.get(id);
    const h = i === undefined ? undefined : images.heights?.[i];
    const w = i === undefined ? undefined : images.widths?.[i];
    return h === undefined || w === undefined || Number.isNaN(h) || Number.isNaN(w) ? undefined : { h, w };
  };
}


export interface PruneGtOptions {
  /** List every category of the source (annotations and lists are pruned all the same), or only the kept ones. */
  listAllCategories: boolean;
  /** Write it gzip-compressed. */
  gzip?: boolean;
  /** Drop images that have no annotation of a kept category. */
  dropEmptyImages: boolean;
  /** Record how the file was made in `info.lvis_pipe`. */
  provenance: boolean;
}

export interface PruneGtSummary {
  images: number;
  imagesDropped: number;
  annotations: number;
  annotationsDropped: number;
  categories: number;
  categoriesDropped: number;
  /** Images whose neg / not-exhaustive lists lost at least one id. */
  imagesEdited: number;
  negIdsDropped: number;
  notExhaustiveIdsDropped: number;
  bytes: number;
}

export interface PruneGtResult {
  summary: PruneGtSummary;
  /** Image indices (into `ds`) of the pruned file, ascending. */
  images: Int32Array;
  /** Category indices (into `ds`) of the pruned file, ascending. */
  categories: Int32Array;
}

/** Writes `ds` pruned to the categories flagged in `keptMask` to `outPath` (atomically). */
export async function pruneGt(
  ds: Dataset,
  keptMask: Uint8Array,
  opts: PruneGtOptions,
  outPath: string,
  progress: WriteProgress = {},
): Promise<PruneGtResult> {
  const { categories: cats, images: imgs, annotations: anns } = ds;

  const categories = Int32Array.from(indicesWhere(cats.count, (c) => keptMask[c] === 1));
  const listed = opts.listAllCategories ? Int32Array.from(indicesWhere(cats.count, () => true)) : categories;

  const annotations = Int32Array.from(indicesWhere(anns.count, (a) => keptMask[anns.category[a]!] === 1));
  const keptAnnsOfImage = new Int32Array(imgs.count);
  for (const a of annotations) keptAnnsOfImage[anns.image[a]!]!++;

  const images = Int32Array.from(indicesWhere(imgs.count, (i) => !opts.dropEmptyImages || keptAnnsOfImage[i]! > 0));

  const { edits, negIdsDropped, notExhaustiveIdsDropped } = categoryListEdits(ds, images, keptMask);

  const values = new Map<string, MemberValue>([
    ['categories', { kind: 'array', items: Array.from(listed, (c) => cats.raw[c]!) }],
    ['images', { kind: 'records', table: 'images', indices: images, edits }],
    ['annotations', { kind: 'records', table: 'annotations', indices: annotations }],
  ]);
  if (opts.provenance) {
    const info = infoWithProvenance(ds.extra.find((e) => e.key === 'info')?.raw, {
      step: 'prune-gt',
      source: basename(ds.source.path),
      kept_categories: categories.length,
      listed_categories: opts.listAllCategories ? 'all' : 'kept',
      images: images.length,
      annotations: annotations.length,
      drop_empty_images: opts.dropEmptyImages,
    });
    if (info !== undefined) values.set('info', { kind: 'raw', text: info });
  }
  const plan = planInSourceOrder(ds, values);
  const bytes = await writeFileAtomically(outPath, (w) => writeLvisJson(ds, plan, w, { label: 'pruning GT', ...progress }), { gzip: opts.gzip === true });

  return {
    images,
    categories,
    summary: {
      images: images.length,
      imagesDropped: imgs.count - images.length,
      annotations: annotations.length,
      annotationsDropped: anns.count - annotations.length,
      categories: categories.length,
      categoriesDropped: cats.count - categories.length,
      imagesEdited: edits.size,
      negIdsDropped,
      notExhaustiveIdsDropped,
      bytes,
    },
  };
}

function indicesWhere(count: number, keep: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep(i)) out.push(i);
  return out;
}
