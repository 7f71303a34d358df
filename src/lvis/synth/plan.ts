/**
 * The plan of one synthetic split (train or val): which images exist, their sizes and ids,
 * which categories each image shows and how many instances of each, and the image-level
 * LVIS lists (negatives, not-exhaustive). Geometry is not planned here: it is drawn per
 * image while writing (synth-geometry.ts), from a per-image random stream.
 *
 * The plan is small (a few numbers per (image, category) pair: ~360k pairs at full scale).
 */
import { LVIS_V1_TRAIN_IMAGES } from '../dataset/lvis-categories.js';
import { MODEL, drawImageSize, type CategoryModel } from './model.js';
import { AliasTable, Rng } from './random.js';

export type SplitName = 'train' | 'val';

/** A list of lists of ints (compressed sparse rows). */
export interface IntLists {
  offsets: Int32Array;
  values: Int32Array;
}

export interface SplitPlan {
  split: SplitName;
  imageCount: number;
  /** Per image, in file order. */
  imageId: Float64Array;
  width: Int32Array;
  height: Int32Array;
  topic: Int32Array;
  /** Image → (category index, instance count) pairs, categories ascending. */
  pairs: { offsets: Int32Array; category: Int32Array; instances: Int32Array };
  /** Image → verified-absent category indices (LVIS `neg_category_ids`). */
  negatives: IntLists;
  /** Image → present category indices not exhaustively annotated. */
  notExhaustive: IntLists;
  /** Image indices in the order their annotations are written (ascending image id). */
  annotationOrder: Int32Array;
  /** Id of the first annotation; the rest follow consecutively in annotationOrder. */
  firstAnnotationId: number;
  annotationCount: number;
  /** Per category index: images showing it and instances, as written to `categories`. */
  categoryImageCount: Int32Array;
  categoryInstanceCount: Int32Array;
}

/** The highest COCO 2017 image id; synthetic ids are drawn below it (or a larger bound). */
const COCO_MAX_IMAGE_ID = 581_929;

/**
 * Draws distinct COCO-like image ids for train and val together, so the two splits never
 * share an id. Returned in random order (LVIS files are not sorted by image id).
 */
export function drawImageIds(seed: number, trainImages: number, valImages: number): [Float64Array, Float64Array] {
  const rng = new Rng(seed, 'image-ids');
  const total = trainImages + valImages;
  const bound = Math.max(COCO_MAX_IMAGE_ID, 4 * total);
  const taken = new Uint8Array(bound + 1);
  const ids = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    let id: number;
    do id = 1 + rng.int(bound);
    while (taken[id]);
    taken[id] = 1;
    ids[i] = id;
  }
  return [ids.slice(0, trainImages), ids.slice(trainImages)];
}

export function planSplit(
  model: CategoryModel,
  seed: number,
  split: SplitName,
  imageIds: Float64Array,
  firstAnnotationId: number,
): SplitPlan {
  const rng = new Rng(seed, split, 'plan');
  const N = imageIds.length;
  const C = model.count;
  const T = MODEL.topics;
  const scale = N / LVIS_V1_TRAIN_IMAGES;

  const width = new Int32Array(N);
  const height = new Int32Array(N);
  for (let i = 0; i < N; i++) [width[i], height[i]] = drawImageSize(rng);

  // 1. How many images show each category: image_count × scale, randomized rounding.
  //    Each such (image, category) slot is a "stub", placed in a topic.
  const stubsByTopic: number[][] = Array.from({ length: T }, () => []);
  let stubTotal = 0;
  for (let c = 0; c < C; c++) {
    const n = rng.round(model.meta[c]!.image_count * scale);
    for (let s = 0; s < n; s++) {
      const t = rng.chance(model.loyalty[c]!) ? model.topic[c]! : rng.int(T);
      stubsByTopic[t]!.push(c);
    }
    stubTotal += n;
  }

  // 2. Which images are empty, and how many categories each other image shows
  //    (long-tailed, summing exactly to the number of stubs).
  const order = Int32Array.from({ length: N }, (_, i) => i);
  rng.shuffle(order);
  let nonEmpty = Math.min(N - Math.round(N * MODEL.emptyImageFraction), stubTotal);
  if (nonEmpty === 0 && stubTotal > 0 && N > 0) nonEmpty = 1;
  const slots = new Int32Array(N);
  if (nonEmpty > 0) {
    const extraMean = stubTotal / nonEmpty - 1;
    const shape = MODEL.categoriesPerImageShape;
    let sum = 0;
    for (let r = 0; r < nonEmpty; r++) {
      const k = 1 + (extraMean > 0 ? rng.poisson((extraMean * rng.gamma(shape)) / shape) : 0);
      slots[order[r]!] = Math.min(k, C);
      sum += slots[order[r]!]!;
    }
    while (sum < stubTotal) {
      const i = order[rng.int(nonEmpty)]!;
      if (slots[i]! < C) (slots[i]!++, sum++);
    }
    while (sum > stubTotal) {
      const i = order[rng.int(nonEmpty)]!;
      if (slots[i]! > 1) (slots[i]!--, sum--);
    }
  }

  // 3. Each image gets a topic, in proportion to the topics' stub counts; then each topic's
  //    stubs are dealt to its images. Stubs that do not fit (a duplicate category in an
  //    image, or more stubs than slots) go to a common pool dealt to the open slots last.
  const topic = new Int32Array(N);
  const topicWeights = stubsByTopic.map((s) => s.length + 1e-9);
  const topicTable = new AliasTable(topicWeights);
  const imagesByTopic: number[][] = Array.from({ length: T }, () => []);
  for (let r = 0; r < N; r++) {
    const i = order[r]!;
    topic[i] = topicTable.sample(rng);
    if (r < nonEmpty) imagesByTopic[topic[i]!]!.push(i);
  }
  const chosen: number[][] = Array.from({ length: N }, () => []);
  const leftover: number[] = [];
  const open: number[] = [];
  for (let t = 0; t < T; t++) {
    const pool = stubsByTopic[t]!;
    const images = imagesByTopic[t]!;
    rng.shuffle(pool);
    rng.shuffle(images);
    let p = 0;
    for (const i of images) {
      const mine = chosen[i]!;
      while (mine.length < slots[i]! && p < pool.length) {
        const c = pool[p++]!;
        if (mine.includes(c)) leftover.push(c);
        else mine.push(c);
      }
      if (mine.length < slots[i]!) open.push(i);
    }
    for (; p < pool.length; p++) leftover.push(pool[p]!);
  }
  rng.shuffle(leftover);
  rng.shuffle(open);
  let p = 0;
  for (const i of open) {
    const mine = chosen[i]!;
    while (mine.length < slots[i]! && p < leftover.length) {
      // Find the next leftover stub this image does not show yet, and swap it forward.
      let q = p;
      while (q < leftover.length && q < p + 64 && mine.includes(leftover[q]!)) q++;
      if (q >= leftover.length || q >= p + 64) break;
      const c = leftover[q]!;
      leftover[q] = leftover[p]!;
      leftover[p++] = c;
      mine.push(c);
    }
  }
  // (Stubs still left over would duplicate a category in every open image: dropped.)

  // 4. Instances: every pair has one; each category's extra instances,
  //    round(pairs × (instance_count / image_count − 1)), are shared among its pairs with
  //    gamma weights (a heavy tail: a few images show dozens of instances).
  const pairOffsets = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) pairOffsets[i + 1] = pairOffsets[i]! + chosen[i]!.length;
  const pairCount = pairOffsets[N]!;
  const pairCategory = new Int32Array(pairCount);
  const pairInstances = new Int32Array(pairCount).fill(1);
  const pairsOfCategory: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < N; i++) {
    const mine = chosen[i]!.sort((a, b) => a - b);
    for (let k = 0; k < mine.length; k++) {
      const pi = pairOffsets[i]! + k;
      pairCategory[pi] = mine[k]!;
      pairsOfCategory[mine[k]!]!.push(pi);
    }
  }
  const categoryImageCount = new Int32Array(C);
  const categoryInstanceCount = new Int32Array(C);
  for (let c = 0; c < C; c++) {
    const list = pairsOfCategory[c]!;
    categoryImageCount[c] = list.length;
    if (list.length === 0) continue;
    const extra = rng.round(list.length * (model.instancesPerImage[c]! - 1));
    if (extra > 0) {
      const w = list.map(() => rng.gamma(MODEL.instanceShareShape));
      const total = w.reduce((a, b) => a + b, 0);
      // Systematic sampling: integer shares that sum exactly to `extra`.
      const u = rng.next();
      let cum = 0;
      for (let k = 0; k < list.length; k++) {
        const before = Math.floor(cum + u);
        cum += (extra * w[k]!) / total;
        const share = Math.floor(cum + u) - before;
        pairInstances[list[k]!] = Math.min(MODEL.maxInstancesPerPair, 1 + share);
      }
    }
    for (const pi of list) categoryInstanceCount[c] = categoryInstanceCount[c]! + pairInstances[pi]!;
  }

  // 5. Image-level lists: verified negatives (absent categories, ∝ image_count as in LVIS's
  //    federated design) and, sometimes, present categories that are not exhaustively annotated.
  const negOffsets = new Int32Array(N + 1);
  const negValues: number[] = [];
  const neOffsets = new Int32Array(N + 1);
  const neValues: number[] = [];
  for (let i = 0; i < N; i++) {
    const present = chosen[i]!;
    const want = rng.poisson((MODEL.negativesPerImage * rng.gamma(MODEL.negativesShape)) / MODEL.negativesShape);
    const negs: number[] = [];
    for (let tries = 0; negs.length < want && tries < 4 * want + 8; tries++) {
      const c = model.byImageCount.sample(rng);
      if (!present.includes(c) && !negs.includes(c)) negs.push(c);
    }
    negValues.push(...negs);
    negOffsets[i + 1] = negValues.length;
    if (present.length > 0 && rng.chance(MODEL.notExhaustiveProbability)) {
      const k = Math.min(present.length, rng.chance(0.8) ? 1 : 2);
      const pool = present.slice();
      rng.shuffle(pool);
      // Categories with more instances are likelier to be marked not exhaustive.
      pool.sort((a, b) => instancesOf(b) - instancesOf(a));
      neValues.push(...pool.slice(0, k));
    }
    neOffsets[i + 1] = neValues.length;

    function instancesOf(c: number): number {
      return pairInstances[pairOffsets[i]! + present.indexOf(c)]!;
    }
  }

  const annotationOrder = Int32Array.from({ length: N }, (_, i) => i).sort((a, b) => imageIds[a]! - imageIds[b]!);
  let annotationCount = 0;
  for (let c = 0; c < C; c++) annotationCount += categoryInstanceCount[c]!;

  return {
    split,
    imageCount: N,
    imageId: imageIds,
    width,
    height,
    topic,
    pairs: { offsets: pairOffsets, category: pairCategory, instances: pairInstances },
    negatives: { offsets: negOffsets, values: Int32Array.from(negValues) },
    notExhaustive: { offsets: neOffsets, values: Int32Array.from(neValues) },
    annotationOrder,
    firstAnnotationId,
    annotationCount,
    categoryImageCount,
    categoryInstanceCount,
  };
}
