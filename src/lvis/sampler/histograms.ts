/**
 * The original tool's reference histograms and per-image bins, for all three tiers at once:
 *
 * - `build_ref_hist_tier(lvis, areaRng, cat_meta, tier)` → `ref[k]`, the full-set count of
 *   annotations of key k = (category, size), for the keys of one tier;
 * - `build_per_image_bins_tier(...)` → each image's count per key, stored sparse (CSR):
 *   image i's entries are `binKey/binCount[binOffsets[i] .. binOffsets[i+1])`, keys ascending;
 * - `densify(per_img_bins, ref_hist)` → `densifyTier` (dense rows, used by the dense
 *   reference scorer and tests only: at full scale a dense matrix would need
 *   100k × 3.6k cells).
 *
 * Keys form one global space ordered by (tier, category index, size), so tier t owns the
 * contiguous key range [tierKeyStart[t], tierKeyStart[t+1]). Like the original tool, a key exists
 * only if the full set has at least one annotation of it (so ref[k] ≥ 1), and annotations
 * without a size bucket (degenerate boxes in `bbox` mode) are left out. An image's
 * *tier mask* has bit t when it has at least one bucketed annotation of tier t: the original tool's
 * "which tiers does this image touch".
 */
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import type { Dataset } from '../dataset/dataset.js';
import { decodeColumns, encodeColumns } from './binary-columns.js';
import { bucketAnnotations, NO_BUCKET, SIZE_NAMES, type SizeRule } from './size-buckets.js';


export interface Histograms {
  rule: SizeRule;
  imageCount: number;
  categoryCount: number;
  /** Length 4: tier t's keys are [tierKeyStart[t], tierKeyStart[t+1]). */
  tierKeyStart: Int32Array;
  /** Per key: category index and size bucket (0 S, 1 M, 2 L). */
  keyCategory: Int32Array;
  keySize: Int8Array;
  /** Per key: full-set annotation count (≥ 1). */
  ref: Float64Array;
  /** Per-image bins, CSR over global keys (ascending within an image). */
  binOffsets: Int32Array;
  binKey: Int32Array;
  binCount: Int32Array;
  /** Per image: bit t set when the image has a bucketed annotation of tier t. */
  imageTierMask: Uint8Array;
  /** Annotations without a size bucket (degenerate boxes), left out of every histogram. */
  unbucketed: number;
}

export function keyCount(h: Histograms): number {
  return h.keyCategory.length;
}

/** Number of keys of tier t (the original tool's K for that tier). */
export function tierKeyCount(h: Histograms, t: number): number {
  return h.tierKeyStart[t + 1]! - h.tierKeyStart[t]!;
}

export function keyLabel(h: Histograms, k: number, categoryIds?: ArrayLike<number>): string {
  const c = h.keyCategory[k]!;
  return `${categoryIds ? categoryIds[c] : c}_${SIZE_NAMES[h.keySize[k]!]}`;
}

export function buildHistograms(ds: Dataset, rule: SizeRule): Histograms {
  const { buckets, missingArea } = bucketAnnotations(ds.annotations, rule);
  if (missingArea.length > 0) throw missingAreaError(ds, missingArea);

  const nCat = ds.categories.count;
  const tierOfCat = ds.categories.tier;
  const annCategory = ds.annotations.category;

  // Full-set counts per (category, size): the union of the original tool's three ref_hist Counters.
  const cellCount = new Float64Array(nCat * 3);
  let unbucketed = 0;
  for (let a = 0; a < ds.annotations.count; a++) {
    const b = buckets[a]!;
    if (b === NO_BUCKET) {
      unbucketed++;
      continue;
    }
    cellCount[annCategory[a]! * 3 + b]!++;
  }

  // Keys ordered by (tier, category index, size).
  const cellKey = new Int32Array(nCat * 3).fill(-1);
  const keyCategory: number[] = [];
  const keySize: number[] = [];
  const ref: number[] = [];
  const tierKeyStart = new Int32Array(4);
  for (let t = 0; t < 3; t++) {
    tierKeyStart[t] = keyCategory.length;
    for (let c = 0; c < nCat; c++) {
      if (tierOfCat[c] !== t) continue;
      for (let s = 0; s < 3; s++) {
        const n = cellCount[c * 3 + s]!;
        if (n === 0) continue;
        cellKey[c * 3 + s] = keyCategory.length;
        keyCategory.push(c);
        keySize.push(s);
        ref.push(n);
      }
    }
  }
  tierKeyStart[3] = keyCategory.length;

  // Per-image bins: sort each image's keys and merge duplicates.
  const nImg = ds.images.count;
  const { annOffsets, annIndex } = ds.images;
  const binOffsets = new Int32Array(nImg + 1);
  const binKeyOut = new Int32Array(ds.annotations.count);
  const binCountOut = new Int32Array(ds.annotations.count);
  const imageTierMask = new Uint8Array(nImg);
  const tierStart0 = tierKeyStart[1]!;
  const tierStart1 = tierKeyStart[2]!;
  let scratch = new Int32Array(64);
  let nnz = 0;
  for (let i = 0; i < nImg; i++) {
    binOffsets[i] = nnz;
    const start = annOffsets[i]!;
    const end = annOffsets[i + 1]!;
    if (end - start > scratch.length) scratch = new Int32Array(2 * (end - start));
    let m = 0;
    for (let p = start; p < end; p++) {
      const a = annIndex[p]!;
      const b = buckets[a]!;
      if (b === NO_BUCKET) continue;
      scratch[m++] = cellKey[annCategory[a]! * 3 + b]!;
    }
    const keys = scratch.subarray(0, m).sort();
    let mask = 0;
    for (let p = 0; p < m; p++) {
      const k = keys[p]!;
      if (p > 0 && keys[p - 1] === k) {
        binCountOut[nnz - 1]!++;
        continue;
      }
      binKeyOut[nnz] = k;
      binCountOut[nnz] = 1;
      nnz++;
      mask |= k < tierStart0 ? 1 : k < tierStart1 ? 2 : 4;
    }
    imageTierMask[i] = mask;
  }
  binOffsets[nImg] = nnz;

  return {
    rule,
    imageCount: nImg,
    categoryCount: nCat,
    tierKeyStart,
    keyCategory: Int32Array.from(keyCategory),
    keySize: Int8Array.from(keySize),
    ref: Float64Array.from(ref),
    binOffsets,
    binKey: binKeyOut.slice(0, nnz),
    binCount: binCountOut.slice(0, nnz),
    imageTierMask,
    unbucketed,
  };
}

function missingAreaError(ds: Dataset, missing: number[]): DiagnosticError {
  const shown = missing.slice(0, 5);
  const diagnostics: Diagnostic[] = shown.map((a) => {
    const offset = ds.annotations.byteStart[a]!;
    return {
      severity: 'error',
      message:
        `annotation id ${ds.annotations.id[a]} has no "area" field, but histograms has ` +
        'size_from: area (use size_from: bbox to bucket by box w·h instead)',
      location: { file: displayPath(ds.source.path), ...(Number.isFinite(offset) ? { offset } : {}) },
    };
  });
  if (missing.length > shown.length) {
    diagnostics.push({
      severity: 'error',
      message: `… and ${missing.length - shown.length} more annotations without "area"`,
      location: { file: displayPath(ds.source.path) },
    });
  }
  return new DiagnosticError(diagnostics);
}

/**
 * The original tool's `densify` for one tier: a dense row-major matrix [images.length × K_t] of the
 * given images' counts, with the tier's keys and ref counts. For tests and small data only.
 */
export function densifyTier(
  h: Histograms,
  t: number,
  images: ArrayLike<number>,
): { keys: number[]; X: Float64Array; refCounts: Float64Array } {
  const k0 = h.tierKeyStart[t]!;
  const k1 = h.tierKeyStart[t + 1]!;
  const K = k1 - k0;
  const X = new Float64Array(images.length * K);
  for (let r = 0; r < images.length; r++) {
    const i = images[r]!;
    for (let p = h.binOffsets[i]!; p < h.binOffsets[i + 1]!; p++) {
      const k = h.binKey[p]!;
      if (k >= k0 && k < k1) X[r * K + (k - k0)] = h.binCount[p]!;
    }
  }
  const keys = Array.from({ length: K }, (_, j) => k0 + j);
  return { keys, X, refCounts: h.ref.slice(k0, k1) };
}

interface HistogramsMeta {
  rule: SizeRule;
  imageCount: number;
  categoryCount: number;
  unbucketed: number;
}

/** The histograms as one binary buffer (typed arrays, no JSON): the `lvis.histograms` artifact's bytes. */
export function encodeHistograms(h: Histograms): Uint8Array {
  return encodeColumns(
    { rule: h.rule, imageCount: h.imageCount, categoryCount: h.categoryCount, unbucketed: h.unbucketed },
    {
      tierKeyStart: h.tierKeyStart,
      keyCategory: h.keyCategory,
      keySize: h.keySize,
      ref: h.ref,
      binOffsets: h.binOffsets,
      binKey: h.binKey,
      binCount: h.binCount,
      imageTierMask: h.imageTierMask,
    },
  );
}

export function decodeHistograms(bytes: Uint8Array): Histograms {
  const { meta, columns } = decodeColumns<HistogramsMeta>(bytes);
  return {
    ...meta,
    tierKeyStart: columns.tierKeyStart as Int32Array,
    keyCategory: columns.keyCategory as Int32Array,
    keySize: columns.keySize as Int8Array,
    ref: columns.ref as Float64Array,
    binOffsets: columns.binOffsets as Int32Array,
    binKey: columns.binKey as Int32Array,
    binCount: columns.binCount as Int32Array,
    imageTierMask: columns.imageTierMask as Uint8Array,
  };
}

