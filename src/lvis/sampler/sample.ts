/**
 * The `lvis.sample` artifact: the subset chosen by the `greedy-sample` step (whatever its
 * strategy), read by the write and prune steps.
 *
 * Everything is plain JSON (small: one number per selected image and per kept category).
 */


export type SamplerStrategy = 'greedy' | 'random' | 'restarts' | 'coverage';

export interface Sample {
  /** Strategy that produced the sample. */
  strategy: SamplerStrategy;
  /** The seed the sampler used. */
  seed: number;
  /** The `total_images` asked for (the sample holds fewer only when fewer images have annotations). */
  requestedImages: number;
  /** Selected images, as indices into the input Dataset's image table, in selection order. */
  imageIndices: number[];
  /** The same images' original `id`s, in the same order. */
  imageIds: number[];
  /**
   * The original tool's `kept_categories`: every category that appears in at least one annotation of a
   * selected image, as indices into the Dataset's category table, ascending.
   */
  keptCategoryIndices: number[];
  /** The same categories' original `id`s, in the same order as `keptCategoryIndices`. */
  keptCategoryIds: number[];
  /** Total annotations on the selected images (all of them are kept by `write`). */
  annotationCount: number;
}

