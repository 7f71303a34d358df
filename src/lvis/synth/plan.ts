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
import { dealScenes } from './scenes.js';
import { matchSlotTotal, type DealtCategories } from './slots.js';
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

/**
 * Plans one split. The jobs run in this order on one random stream (the order is part of the
 * output: the same seed gives the same bytes): image sizes; which categories each image shows
 * (`dealByTopic`, or `dealScenes` for `cooccurrence: scenes`); instances per (image, category);
 * the image-level lists.
 */
export function planSplit(
  model: CategoryModel,
  seed: number,
  split: SplitName,
  imageIds: Float64Array,
  firstAnnotationId: number,
): SplitPlan {
  const rng = new Rng(seed, split, 'plan');
  const N = imageIds.length;
  const scale = N / LVIS_V1_TRAIN_IMAGES;
  const { width, height } = drawImageSizes(rng, N);
  const { topic, chosen, instanceWeight } = model.scenes ? dealScenes(model, model.scenes, rng, N, scale) : dealByTopic(model, rng, N, scale);
  const pairs = pairTable(chosen, model.count);
  const counts = drawInstances(model, rng, pairs, instanceWeight);
  const negatives = drawNegatives(model, rng, pairs, counts.instances);
  const annotationOrder = Int32Array.from({ length: N }, (_, i) => i).sort((a, b) => imageIds[a]! - imageIds[b]!);
  let annotationCount = 0;
  for (let c = 0; c < model.count; c++) annotationCount += counts.categoryInstanceCount[c]!;
  return {
    split,
    imageCount: N,
    imageId: imageIds,
    width,
    height,
    topic,
    pairs: { offsets: pairs.offsets, category: pairs.category, instances: counts.instances },
    ...negatives,
    annotationOrder,
    firstAnnotationId,
    annotationCount,
    categoryImageCount: counts.categoryImageCount,
    categoryInstanceCount: counts.categoryInstanceCount,
  };
}

function drawImageSizes(rng: Rng, N: number): { width: Int32Array; height: Int32Array } {
  const width = new Int32Array(N);
  const height = new Int32Array(N);
  for (let i = 0; i < N; i++) [width[i], height[i]] = drawImageSize(rng);
  return { width, height };
}

/**
 * The default co-occurrence model (`topics`): category first. Each category's images are
 * "stubs" placed in topics, each image gets a long-tailed number of slots and a topic, and each
 * topic's stubs are dealt to its images.
 */
function dealByTopic(model: CategoryModel, rng: Rng, N: number, scale: number): DealtCategories {
  const { stubsByTopic, stubTotal } = drawStubs(model, rng, scale);
  const { order, nonEmpty, slots } = drawSlots(model, rng, N, stubTotal);
  const { topic, chosen } = dealStubs(rng, stubsByTopic, order, nonEmpty, slots);
  return { topic, chosen, instanceWeight: null };
}

/**
 * How many images show each category: image_count × scale, randomized rounding. Each such
 * (image, category) slot is a "stub", placed in the category's topic or, with probability
 * 1 − loyalty, in a random one.
 */
function drawStubs(model: CategoryModel, rng: Rng, scale: number): { stubsByTopic: number[][]; stubTotal: number } {
  const T = MODEL.topics;
  const stubsByTopic: number[][] = Array.from({ length: T }, () => []);
  let stubTotal = 0;
  for (let c = 0; c < model.count; c++) {
    const n = rng.round(model.meta[c]!.image_count * scale);
    for (let s = 0; s < n; s++) {
      const t = rng.chance(model.loyalty[c]!) ? model.topic[c]! : rng.int(T);
      stubsByTopic[t]!.push(c);
    }
    stubTotal += n;
  }
  return { stubsByTopic, stubTotal };
}

/**
 * Which images are empty (`order[nonEmpty ..)`), and how many categories each other image
 * shows: long-tailed, summing exactly to the number of stubs.
 */
function drawSlots(model: CategoryModel, rng: Rng, N: number, stubTotal: number): { order: Int32Array; nonEmpty: number; slots: Int32Array } {
  const C = model.count;
  const order = Int32Array.from({ length: N }, (_, i) => i);
  rng.shuffle(order);
  let nonEmpty = Math.min(N - Math.round(N * MODEL.emptyImageFraction), stubTotal);
  if (nonEmpty === 0 && stubTotal > 0 && N > 0) nonEmpty = 1;
  const slots = new Int32Array(N);
  if (nonEmpty > 0) {
    const extraMean = stubTotal / nonEmpty - 1;
    const shape = MODEL.categoriesPerImageShape;
    for (let r = 0; r < nonEmpty; r++) {
      const k = 1 + (extraMean > 0 ? rng.poisson((extraMean * rng.gamma(shape)) / shape) : 0);
      slots[order[r]!] = Math.min(k, C);
    }
    matchSlotTotal(rng, order, nonEmpty, slots, stubTotal, C);
  }
  return { order, nonEmpty, slots };
}

/**
 * Each image gets a topic, in proportion to the topics' stub counts; then each topic's stubs
 * are dealt to its images. Stubs that do not fit (a duplicate category in an image, or more
 * stubs than slots) go to a common pool dealt to the open slots last.
 */
function dealStubs(
  rng: Rng,
  stubsByTopic: number[][],
  order: Int32Array,
  nonEmpty: number,
  slots: Int32Array,
): { topic: Int32Array; chosen: number[][] } {
  const N = order.length;
  const T = stubsByTopic.length;
  const topic = new Int32Array(N);
  const topicTable = new AliasTable(stubsByTopic.map((s) => s.length + 1e-9));
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
  dealLeftovers(rng, chosen, slots, leftover, open);
  return { topic, chosen };
}

/** The left-over stubs into the open slots. (Stubs still left over would duplicate a category in every open image: dropped.) */
function dealLeftovers(rng: Rng, chosen: number[][], slots: Int32Array, leftover: number[], open: number[]): void {
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
}

interface PairTable {
  /** Image → its pairs (CSR), categories ascending. */
  offsets: Int32Array;
  category: Int32Array;
  /** Per category: its pair indices, in image order. */
  pairsOfCategory: number[][];
  /** Per image: its categories (sorted in place). */
  chosen: number[][];
}

function pairTable(chosen: number[][], C: number): PairTable {
  const N = chosen.length;
  const offsets = new Int32Array(N + 1);
  for (let i = 0; i < N; i++) offsets[i + 1] = offsets[i]! + chosen[i]!.length;
  const category = new Int32Array(offsets[N]!);
  const pairsOfCategory: number[][] = Array.from({ length: C }, () => []);
  for (let i = 0; i < N; i++) {
    const mine = chosen[i]!.sort((a, b) => a - b);
    for (let k = 0; k < mine.length; k++) {
      const pi = offsets[i]! + k;
      category[pi] = mine[k]!;
      pairsOfCategory[mine[k]!]!.push(pi);
    }
  }
  return { offsets, category, pairsOfCategory, chosen };
}

/**
 * Instances: every pair has one; each category's extra instances,
 * round(pairs × (instance_count / image_count − 1)), are shared among its pairs with gamma
 * weights (a heavy tail: a few images show dozens of instances), each times its image's
 * `instanceWeight` when there is one.
 */
function drawInstances(
  model: CategoryModel,
  rng: Rng,
  pairs: PairTable,
  instanceWeight: Float64Array | null,
): { instances: Int32Array; categoryImageCount: Int32Array; categoryInstanceCount: Int32Array } {
  const C = model.count;
  const instances = new Int32Array(pairs.category.length).fill(1);
  const imageOfPair = instanceWeight ? pairImages(pairs.offsets) : null;
  const categoryImageCount = new Int32Array(C);
  const categoryInstanceCount = new Int32Array(C);
  for (let c = 0; c < C; c++) {
    const list = pairs.pairsOfCategory[c]!;
    categoryImageCount[c] = list.length;
    if (list.length === 0) continue;
    const extra = rng.round(list.length * (model.instancesPerImage[c]! - 1));
    if (extra > 0) {
      const w = list.map((pi) => rng.gamma(MODEL.instanceShareShape) * (imageOfPair ? instanceWeight![imageOfPair[pi]!]! : 1));
      const total = w.reduce((a, b) => a + b, 0);
      // Systematic sampling: integer shares that sum exactly to `extra`.
      const u = rng.next();
      let cum = 0;
      for (let k = 0; k < list.length; k++) {
        const before = Math.floor(cum + u);
        cum += (extra * w[k]!) / total;
        const share = Math.floor(cum + u) - before;
        instances[list[k]!] = Math.min(MODEL.maxInstancesPerPair, 1 + share);
      }
    }
    for (const pi of list) categoryInstanceCount[c] = categoryInstanceCount[c]! + instances[pi]!;
  }
  return { instances, categoryImageCount, categoryInstanceCount };
}

function pairImages(offsets: Int32Array): Int32Array {
  const out = new Int32Array(offsets[offsets.length - 1]!);
  for (let i = 0; i + 1 < offsets.length; i++) out.fill(i, offsets[i]!, offsets[i + 1]!);
  return out;
}

/**
 * Image-level lists: verified negatives (absent categories, ∝ image_count as in LVIS's
 * federated design) and, sometimes, present categories that are not exhaustively annotated
 * (those with more instances are likelier to be marked).
 */
function drawNegatives(
  model: CategoryModel,
  rng: Rng,
  pairs: PairTable,
  instances: Int32Array,
): { negatives: IntLists; notExhaustive: IntLists } {
  const N = pairs.chosen.length;
  const negOffsets = new Int32Array(N + 1);
  const negValues: number[] = [];
  const neOffsets = new Int32Array(N + 1);
  const neValues: number[] = [];
  for (let i = 0; i < N; i++) {
    const present = pairs.chosen[i]!;
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
      const instancesOf = (c: number) => instances[pairs.offsets[i]! + present.indexOf(c)]!;
      pool.sort((a, b) => instancesOf(b) - instancesOf(a));
      neValues.push(...pool.slice(0, k));
    }
    neOffsets[i + 1] = neValues.length;
  }
  return {
    negatives: { offsets: negOffsets, values: Int32Array.from(negValues) },
    notExhaustive: { offsets: neOffsets, values: Int32Array.from(neValues) },
  };
}
