/**
 * The columnar, indexed in-memory form of an LVIS or COCO-format detection file.
 *
 * Produced by the `load` step (src/lvis/load.ts) in one streaming pass, cached by the runner
 * (codec in src/lvis/dataset-codec.ts), and read by every step downstream. It holds only what
 * the sampler needs, plus each record's byte range in the source so that `write` and the
 * prune steps can copy records unchanged.
 *
 * Conventions:
 * - Every entity has a dense index (0..n-1, in file order) and its original `id`.
 *   Cross-references (annotation → image, annotation → category, neg/not-exhaustive lists)
 *   hold *indices*, never ids.
 * - Ids are stored as Float64Array so that any JSON integer id up to 2^53 survives.
 * - Byte ranges are [start, end) offsets in the decompressed source text; NaN when unknown
 *   (a dataset built from an in-memory object).
 */
import type { TextEncoding } from '../source/encoding.js';

/** Frequency tiers in a fixed order; a tier is stored as its index into this array. */
export const TIERS = ['f', 'c', 'r'] as const;
export type Tier = (typeof TIERS)[number];
export const TIER_INDEX: Record<Tier, number> = { f: 0, c: 1, r: 2 };
export const TIER_NAMES: Record<Tier, string> = { f: 'frequent', c: 'common', r: 'rare' };

/** A JSON value of the source, kept as its exact source text. */
export interface RawJson {
  key: string;
  raw: string;
}

export interface CategoryTable {
  count: number;
  id: Float64Array;
  name: string[];
  /** Index into TIERS. */
  tier: Uint8Array;
  /** image_count / instance_count as written in the source (NaN when absent, e.g. COCO). */
  imageCount: Float64Array;
  instanceCount: Float64Array;
  /** The exact source text of each category record. */
  raw: string[];
}

export interface ImageTable {
  count: number;
  id: Float64Array;
  width: Float64Array;
  height: Float64Array;
  /** CSR lists of category indices: image i's list is values[offsets[i] .. offsets[i+1]). */
  negCategories: { offsets: Int32Array; values: Int32Array };
  notExhaustiveCategories: { offsets: Int32Array; values: Int32Array };
  byteStart: Float64Array;
  byteEnd: Float64Array;
  /** CSR of annotation indices per image, in file order: image i's are annIndex[annOffsets[i] .. annOffsets[i+1]). */
  annOffsets: Int32Array;
  annIndex: Int32Array;
}

export interface AnnotationTable {
  count: number;
  id: Float64Array;
  /** Image index. */
  image: Int32Array;
  /** Category index. */
  category: Int32Array;
  /** x, y, w, h for annotation i at [4i .. 4i+4). */
  bbox: Float64Array;
  /** The `area` field (segmentation area in LVIS/COCO); NaN when absent. */
  area: Float64Array;
  /** 1 when `iscrowd` is 1 (COCO crowd RLE), else 0. */
  iscrowd: Uint8Array;
  byteStart: Float64Array;
  byteEnd: Float64Array;
}

export interface DatasetSource {
  /** Absolute path of the source file (as loaded). */
  path: string;
  /** Plain JSON, gzip, or a zip's JSON member (byte ranges refer to the decompressed text). */
  encoding: TextEncoding;
  /** A zip's member the text came from. */
  member?: string;
  /** Size of the decompressed text in bytes. */
  textBytes: number;
  /** 'lvis' when categories carry `frequency`, else 'coco'. */
  format: 'lvis' | 'coco';
  /** True when tiers were derived from per-category image counts (COCO input). */
  tiersDerived: boolean;
  /**
   * sha256 of the source file when the runner knows it (the load step). Records are copied from
   * that file by their byte ranges, so the dataset's bytes must change when the file's content
   * does, even if no parsed field does: otherwise the runner's early cutoff could reuse a
   * subset written from the old content.
   */
  contentDigest?: string;
}

export interface Dataset {
  source: DatasetSource;
  /** Top-level members other than images/annotations/categories (info, licenses, ...), in source order. */
  extra: RawJson[];
  /** Order of the top-level keys in the source, to write them back in the same order. */
  topLevelOrder: string[];
  categories: CategoryTable;
  images: ImageTable;
  annotations: AnnotationTable;
}

/** Annotation count per image (0 for images without annotations). */
export function annotationCountOfImage(ds: Dataset, image: number): number {
  return ds.images.annOffsets[image + 1]! - ds.images.annOffsets[image]!;
}
