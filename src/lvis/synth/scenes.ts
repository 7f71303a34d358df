/**
 * The `scenes` co-occurrence model (`lvis-pipe synth --cooccurrence scenes`): image first.
 *
 * The default model (`topics`, plan.ts) is category first: each category's images are placed
 * in topics, and how many categories an image shows does not depend on what it shows. Here
 * each image first draws a scene topic, and the topic decides the rest:
 *
 * - Every topic has a crowdedness κ_t (log-normal across topics): its images show κ_t times the
 *   mean number of categories (gamma-Poisson around it), and their pairs take a share of their
 *   category's extra instances weighted by κ_t^0.7. Some scenes are sparse, some crowded.
 * - Every category has a home topic, drawn ∝ κ_t^bias with bias 0 / 0.5 / 1 for the
 *   frequent / common / rare tier: rare categories live in crowded scenes.
 * - The categories of an image of topic t are drawn without replacement from an urn that holds
 *   each category's remaining images (LVIS v1 train `image_count` × scale, randomized rounding),
 *   weighted by the category's affinity to t (its tier's loyalty for its home topic, the rest
 *   spread over all topics). The urn empties exactly, so every category shows in exactly its
 *   image count, as in the default model; the few stubs the urn cannot place (the category is
 *   already in the image) go to other images of the category's home topic.
 * - A topic's share of images is its urn demand divided by its crowdedness.
 * - 16% of images are empty.
 *
 * Per-category instance counts follow LVIS v1 train as in the default model (plan.ts
 * `drawInstances`). The model's own random stream is `scenes`; the plan's stream is the split's.
 */
import { MODEL, topicTables, type CategoryModel } from './model.js';
import { AliasTable, Rng } from './random.js';
import { matchSlotTotal, type DealtCategories } from './slots.js';

export const SCENES = {
  /** Fraction of images with no annotations. */
  emptyImageFraction: 0.16,
  /** σ of ln κ_t across topics. */
  crowdSpread: 0.7,
  /** Gamma shape of an image's category count around its topic's mean (smaller = longer tail). */
  slotShape: 1.5,
  /** An image's pairs share their categories' extra instances with weight κ_t^this. */
  instanceCrowding: 0.7,
  /** A category's home topic is drawn ∝ κ_t^bias, by tier. */
  homeCrowdBias: { f: 0, c: 0.5, r: 1 },
} as const;

/** The default category model with scene traits: crowdedness per topic and crowd-biased home topics. */
export function withScenes(base: CategoryModel, seed: number): CategoryModel {
  const rng = new Rng(seed, 'scenes');
  const T = MODEL.topics;
  const crowd = new Float64Array(T);
  for (let t = 0; t < T; t++) crowd[t] = Math.exp(SCENES.crowdSpread * rng.normal());
  const homeTable = {
    f: new AliasTable(crowd.map((k) => k ** SCENES.homeCrowdBias.f)),
    c: new AliasTable(crowd.map((k) => k ** SCENES.homeCrowdBias.c)),
    r: new AliasTable(crowd.map((k) => k ** SCENES.homeCrowdBias.r)),
  };
  const topic = new Int32Array(base.count);
  for (let c = 0; c < base.count; c++) topic[c] = homeTable[base.meta[c]!.frequency].sample(rng);
  return { ...base, topic, byTopic: topicTables(base.meta, topic, base.loyalty), scenes: { crowd } };
}

export function dealScenes(model: CategoryModel, scenes: { crowd: Float64Array }, rng: Rng, N: number, scale: number): DealtCategories {
  const remaining = new Int32Array(model.count);
  let stubTotal = 0;
  for (let c = 0; c < model.count; c++) stubTotal += remaining[c] = rng.round(model.meta[c]!.image_count * scale);
  const order = Int32Array.from({ length: N }, (_, i) => i);
  rng.shuffle(order);
  let nonEmpty = Math.min(N - Math.round(N * SCENES.emptyImageFraction), stubTotal);
  if (nonEmpty === 0 && stubTotal > 0 && N > 0) nonEmpty = 1;
  const urn = new SceneUrn(model, remaining);
  const topic = drawSceneTopics(urn, scenes.crowd, rng, order);
  const slots = drawSceneSlots(model.count, scenes.crowd, rng, order, nonEmpty, topic, stubTotal);
  const chosen: number[][] = Array.from({ length: N }, () => []);
  for (let r = 0; r < nonEmpty; r++) urn.fill(rng, chosen[order[r]!]!, topic[order[r]!]!, slots[order[r]!]!);
  placeLeftovers(model, rng, urn, chosen, order.subarray(0, nonEmpty), topic);
  const instanceWeight = new Float64Array(N);
  for (let i = 0; i < N; i++) instanceWeight[i] = scenes.crowd[topic[i]!]! ** SCENES.instanceCrowding;
  return { topic, chosen, instanceWeight };
}

/** A topic for every image: ∝ the topic's urn demand / its crowdedness (images it needs). */
function drawSceneTopics(urn: SceneUrn, crowd: Float64Array, rng: Rng, order: Int32Array): Int32Array {
  const w = new Float64Array(crowd.length);
  for (let t = 0; t < crowd.length; t++) w[t] = (urn.demand(t) + 1e-9) / crowd[t]!;
  const table = new AliasTable(w);
  const topic = new Int32Array(order.length);
  for (let r = 0; r < order.length; r++) topic[order[r]!] = table.sample(rng);
  return topic;
}

/** Categories per non-empty image: 1 + gamma-Poisson with mean ∝ κ_t, summing exactly to the stubs. */
function drawSceneSlots(
  C: number, crowd: Float64Array, rng: Rng, order: Int32Array, nonEmpty: number, topic: Int32Array, stubTotal: number,
): Int32Array {
  const slots = new Int32Array(order.length);
  if (nonEmpty === 0) return slots;
  let crowdSum = 0;
  for (let r = 0; r < nonEmpty; r++) crowdSum += crowd[topic[order[r]!]!]!;
  const perCrowd = Math.max(0, stubTotal - nonEmpty) / crowdSum;
  const shape = SCENES.slotShape;
  for (let r = 0; r < nonEmpty; r++) {
    const i = order[r]!;
    const mean = perCrowd * crowd[topic[i]!]!;
    slots[i] = Math.min(C, 1 + (mean > 0 ? rng.poisson((mean * rng.gamma(shape)) / shape) : 0));
  }
  matchSlotTotal(rng, order, nonEmpty, slots, stubTotal, C);
  return slots;
}

/** Stubs the urn could not place: into images of the category's home topic (else any image) that lack it. */
function placeLeftovers(model: CategoryModel, rng: Rng, urn: SceneUrn, chosen: number[][], nonEmpty: Int32Array, topic: Int32Array): void {
  if (nonEmpty.length === 0) return;
  const byTopic: number[][] = Array.from({ length: MODEL.topics }, () => []);
  for (const i of nonEmpty) byTopic[topic[i]!]!.push(i);
  for (let c = 0; c < model.count; c++) {
    while (urn.remaining[c]! > 0) {
      const home = byTopic[model.topic[c]!]!;
      let placed = false;
      for (let tries = 0; tries < 64 && !placed; tries++) {
        const i = tries < 32 && home.length > 0 ? home[rng.int(home.length)]! : nonEmpty[rng.int(nonEmpty.length)]!;
        if (!chosen[i]!.includes(c)) (chosen[i]!.push(c), (placed = true));
      }
      urn.take(c); // placed, or dropped (it is in every image tried)
    }
  }
}

/**
 * The urn of remaining (image, category) stubs, weighted per topic: category c weighs
 * remaining_c × (loyalty_c · T for its home topic + (1 − loyalty_c) for every topic), in
 * integers (loyalty in percent), so the sums are exact and never drift. Two Fenwick trees
 * give O(log C) draws and updates: one over all categories (the shared part) and one over the
 * categories sorted by home topic (each topic's part is a range of it).
 */
class SceneUrn {
  readonly remaining: Int32Array;
  private readonly shared: SumTree;
  private readonly home: SumTree;
  private readonly homeCategory: Int32Array;
  private readonly homePos: Int32Array;
  private readonly topicStart: Int32Array;
  private readonly sharedUnit: Float64Array;
  private readonly homeUnit: Float64Array;

  constructor(model: CategoryModel, remaining: Int32Array) {
    const C = model.count;
    const T = MODEL.topics;
    this.remaining = remaining;
    this.topicStart = new Int32Array(T + 1);
    for (let c = 0; c < C; c++) this.topicStart[model.topic[c]! + 1]!++;
    for (let t = 0; t < T; t++) this.topicStart[t + 1] += this.topicStart[t]!;
    const fill = this.topicStart.slice(0, T);
    this.homeCategory = new Int32Array(C);
    this.homePos = new Int32Array(C);
    for (let c = 0; c < C; c++) {
      const p = fill[model.topic[c]!]!++;
      this.homeCategory[p] = c;
      this.homePos[c] = p;
    }
    this.sharedUnit = new Float64Array(C);
    this.homeUnit = new Float64Array(C);
    this.shared = new SumTree(C);
    this.home = new SumTree(C);
    for (let c = 0; c < C; c++) {
      const loyal = Math.round(100 * model.loyalty[c]!);
      this.sharedUnit[c] = 100 - loyal;
      this.homeUnit[c] = loyal * T;
      this.shared.add(c, remaining[c]! * this.sharedUnit[c]!);
      this.home.add(this.homePos[c]!, remaining[c]! * this.homeUnit[c]!);
    }
  }

  /** The urn's total weight for topic t. */
  demand(t: number): number {
    return this.shared.total() + this.home.range(this.topicStart[t]!, this.topicStart[t + 1]!);
  }

  take(c: number): void {
    this.remaining[c]!--;
    this.shared.add(c, -this.sharedUnit[c]!);
    this.home.add(this.homePos[c]!, -this.homeUnit[c]!);
  }

  /** Draws up to `slots` distinct categories for an image of topic t into `mine`. */
  fill(rng: Rng, mine: number[], t: number, slots: number): void {
    const lo = this.topicStart[t]!;
    const hi = this.topicStart[t + 1]!;
    for (let s = 0; s < slots; s++) {
      let got = false;
      for (let tries = 0; tries < 16 && !got; tries++) {
        const shared = this.shared.total();
        const homeMass = this.home.range(lo, hi);
        if (shared + homeMass <= 0) return;
        const u = rng.next() * (shared + homeMass);
        const c = u < shared ? this.shared.find(u) : this.homeCategory[Math.min(hi - 1, this.home.find(this.home.prefix(lo) + u - shared))]!;
        if (this.remaining[c]! <= 0 || mine.includes(c)) continue;
        mine.push(c);
        this.take(c);
        got = true;
      }
      if (!got) return;
    }
  }
}

/** A Fenwick tree of non-negative weights: prefix sums and draws by cumulative weight in O(log n). */
class SumTree {
  private readonly tree: Float64Array;
  private sum = 0;

  constructor(private readonly n: number) {
    this.tree = new Float64Array(n + 1);
  }

  add(i: number, delta: number): void {
    this.sum += delta;
    for (let j = i + 1; j <= this.n; j += j & -j) this.tree[j] += delta;
  }

  total(): number {
    return this.sum;
  }

  /** Σ of weights [0, i). */
  prefix(i: number): number {
    let s = 0;
    for (let j = i; j > 0; j -= j & -j) s += this.tree[j]!;
    return s;
  }

  range(lo: number, hi: number): number {
    return this.prefix(hi) - this.prefix(lo);
  }

  /** The index i with prefix(i) ≤ u < prefix(i + 1), for 0 ≤ u < total (clamped to n − 1). */
  find(u: number): number {
    let pos = 0;
    let rest = u;
    for (let step = 1 << Math.floor(Math.log2(Math.max(1, this.n))); step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.n && this.tree[next]! <= rest) {
        pos = next;
        rest -= this.tree[next]!;
      }
    }
    return Math.min(pos, this.n - 1);
  }
}
