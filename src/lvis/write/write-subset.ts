/**
 * `write`: the original tool's write_lvis_subset. Writes the sampled images and all of their
 * annotations as an LVIS-format JSON, with info, licenses and categories, original ids, and
 * every image and annotation record copied byte for byte from the source file.
 */
import { basename } from 'node:path';
import { DiagnosticError } from '../../base/diagnostic.js';
import type { Dataset } from '../dataset/dataset.js';
import { keptCategoryIndices } from '../prune/kept-categories.js';
import { categoryListEdits } from '../prune/category-lists.js';
import type { Sample } from '../sampler/sample.js';
import { writeFileAtomically } from './output-file.js';
import { objectMembers, replaceMemberValue } from './json-members.js';
import { infoWithProvenance, planInSourceOrder, writeLvisJson, type MemberValue, type WriteProgress } from './lvis-json.js';

export interface WriteSubsetOptions {
  /** `all` keeps every category of the source; `kept` only those with annotations in the subset. */
  categories: 'all' | 'kept';
  /** Set image_count/instance_count to the subset's; frequency stays the full set's. */
  recount: boolean;
  /** Record how the file was made in `info.lvis_pipe`. */
  provenance: boolean;
  /** Write it gzip-compressed. */
  gzip?: boolean;
}

/** The records of a subset, as ascending indices into the Dataset's tables. */
export interface SubsetSelection {
  images: Int32Array;
  annotations: Int32Array;
}

export interface WriteSubsetSummary {
  images: number;
  annotations: number;
  categories: number;
  bytes: number;
  /** Whether the categories' counts were recounted (false when the source has none, e.g. COCO). */
  recounted: boolean;
}

/**
 * Checks that `sample` was drawn from `ds` (same image ids at the same indices) and returns
 * its records in source order.
 */
export function selectSample(ds: Dataset, sample: Pick<Sample, 'imageIndices' | 'imageIds'>): SubsetSelection {
  const n = ds.images.count;
  const seen = new Uint8Array(n);
  const mismatch = (i: number, why: string) =>
    new DiagnosticError([
      {
        severity: 'error',
        message: `the sample does not belong to this dataset: selected image #${i} ${why}. Was it sampled from another file?`,
        location: { file: ds.source.path },
      },
    ]);
  for (let i = 0; i < sample.imageIndices.length; i++) {
    const idx = sample.imageIndices[i]!;
    if (!Number.isInteger(idx) || idx < 0 || idx >= n) throw mismatch(i, `has index ${idx}, the file has ${n} images`);
    const want = sample.imageIds[i];
    if (want !== undefined && ds.images.id[idx] !== want) {
      throw mismatch(i, `should be image id ${want}, the file has id ${ds.images.id[idx]} there`);
    }
    if (seen[idx]) throw mismatch(i, `(image id ${ds.images.id[idx]}) is selected twice`);
    seen[idx] = 1;
  }
  return selectImages(ds, seen);
}

/** The images flagged in `imageMask` and all of their annotations, in source order. */
export function selectImages(ds: Dataset, imageMask: Uint8Array): SubsetSelection {
  const { annOffsets, annIndex } = ds.images;
  let nImages = 0;
  let nAnns = 0;
  for (let i = 0; i < ds.images.count; i++) {
    if (imageMask[i]) {
      nImages++;
      nAnns += annOffsets[i + 1]! - annOffsets[i]!;
    }
  }
  const images = new Int32Array(nImages);
  const annotations = new Int32Array(nAnns);
  let a = 0;
  for (let i = 0, k = 0; i < ds.images.count; i++) {
    if (!imageMask[i]) continue;
    images[k++] = i;
    for (let j = annOffsets[i]!; j < annOffsets[i + 1]!; j++) annotations[a++] = annIndex[j]!;
  }
  annotations.sort();
  return { images, annotations };
}

/** image_count and instance_count of every category within a selection. */
export function countCategories(ds: Dataset, sel: SubsetSelection): { imageCount: Int32Array; instanceCount: Int32Array } {
  const imageCount = new Int32Array(ds.categories.count);
  const instanceCount = new Int32Array(ds.categories.count);
  const lastImage = new Int32Array(ds.categories.count).fill(-1);
  const { annOffsets, annIndex } = ds.images;
  const category = ds.annotations.category;
  for (const img of sel.images) {
    for (let j = annOffsets[img]!; j < annOffsets[img + 1]!; j++) {
      const c = category[annIndex[j]!]!;
      instanceCount[c]!++;
      if (lastImage[c] !== img) {
        lastImage[c] = img;
        imageCount[c]!++;
      }
    }
  }
  return { imageCount, instanceCount };
}

/**
 * Which categories the subset file lists: all of the source's, or only those annotated in it
 * (as a mask over the Dataset's categories).
 */
export function subsetCategoryMask(ds: Dataset, sel: SubsetSelection, categories: WriteSubsetOptions['categories']): Uint8Array {
  const mask = new Uint8Array(ds.categories.count);
  if (categories === 'all') mask.fill(1);
  else for (const c of keptCategoryIndices(ds, sel.images)) mask[c] = 1;
  return mask;
}

/**
 * Category records for the subset: the source texts of the categories in `mask`, with
 * image_count/instance_count replaced by the subset's when `recount` (only where the source
 * has those fields: COCO categories have none, and none are added).
 */
export function subsetCategoryTexts(
  ds: Dataset,
  sel: SubsetSelection,
  mask: Uint8Array,
  recount: boolean,
): { texts: string[]; recounted: boolean } {
  const which: number[] = [];
  for (let c = 0; c < ds.categories.count; c++) if (mask[c]) which.push(c);
  if (!recount) return { texts: which.map((c) => ds.categories.raw[c]!), recounted: false };
  const counts = countCategories(ds, sel);
  let recounted = false;
  const texts = which.map((c) => {
    let text = ds.categories.raw[c]!;
    const fields: Array<[string, number]> = [
      ['instance_count', counts.instanceCount[c]!],
      ['image_count', counts.imageCount[c]!],
    ];
    for (const [field, value] of fields) {
      // Re-scan after each edit: the first edit moves the offsets of what follows it.
      const member = objectMembers(text).find((m) => m.key === field);
      if (member) {
        text = replaceMemberValue(text, member, String(value));
        recounted = true;
      }
    }
    return text;
  });
  return { texts, recounted };
}

/** Writes the subset `sel` of `ds` to `outPath` (atomically). */
export async function writeSubset(
  ds: Dataset,
  sel: SubsetSelection,
  opts: WriteSubsetOptions,
  outPath: string,
  progress: WriteProgress = {},
): Promise<WriteSubsetSummary> {
  const mask = subsetCategoryMask(ds, sel, opts.categories);
  const { texts, recounted } = subsetCategoryTexts(ds, sel, mask, opts.recount);
  // With fewer categories, the images' neg / not-exhaustive lists may only name those left.
  const { edits } = categoryListEdits(ds, sel.images, mask);
  const values = new Map<string, MemberValue>([
    ['categories', { kind: 'array', items: texts }],
    ['images', { kind: 'records', table: 'images', indices: sel.images, edits }],
    ['annotations', { kind: 'records', table: 'annotations', indices: sel.annotations }],
  ]);
  if (opts.provenance) {
    const info = infoWithProvenance(ds.extra.find((e) => e.key === 'info')?.raw, {
      step: 'write',
      source: basename(ds.source.path),
      images: sel.images.length,
      annotations: sel.annotations.length,
      categories: opts.categories,
      recount: recounted,
      // COCO categories have neither counts nor tiers to speak of.
      ...(ds.source.format === 'lvis' ? { counts_from: recounted ? 'subset' : 'full set', frequency_from: 'full set' } : {}),
    });
    if (info !== undefined) values.set('info', { kind: 'raw', text: info });
  }
  const plan = planInSourceOrder(ds, values);
  const bytes = await writeFileAtomically(outPath, (w) => writeLvisJson(ds, plan, w, { label: 'writing subset', ...progress }), { gzip: opts.gzip === true });
  return { images: sel.images.length, annotations: sel.annotations.length, categories: texts.length, bytes, recounted };
}
