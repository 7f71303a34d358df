/**
 * Builds a columnar Dataset in memory from compact records, for tests (byte ranges NaN,
 * as for a dataset that was never read from a file), and random LVIS-shaped datasets for
 * property tests.
 */
import { TIER_INDEX, type Dataset, type Tier } from '../../src/lvis/dataset/dataset.js';

export interface CompactCategory {
  id: number;
  tier: Tier;
  name?: string;
  imageCount?: number;
  instanceCount?: number;
}

export interface CompactImage {
  id: number;
  width?: number;
  height?: number;
  /** Category ids. */
  neg?: number[];
  /** Category ids. */
  notExhaustive?: number[];
}

export interface CompactAnnotation {
  /** Defaults to the position + 1. */
  id?: number;
  /** Image id. */
  image: number;
  /** Category id. */
  category: number;
  bbox: [number, number, number, number];
  /** Defaults to w·h; pass NaN for a missing `area`. */
  area?: number;
}

export interface CompactDataset {
  categories: CompactCategory[];
  images: CompactImage[];
  annotations: CompactAnnotation[];
  path?: string;
}

function csr(lists: number[][]): { offsets: Int32Array; values: Int32Array } {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l.length));
  const values = new Int32Array(offsets[lists.length]!);
  lists.forEach((l, i) => values.set(l, offsets[i]!));
  return { offsets, values };
}

export function makeDataset(d: CompactDataset): Dataset {
  const catIndex = new Map<number, number>();
  d.categories.forEach((c, i) => catIndex.set(c.id, i));
  const imgIndex = new Map<number, number>();
  d.images.forEach((im, i) => imgIndex.set(im.id, i));
  const catOf = (id: number) => {
    const c = catIndex.get(id);
    if (c === undefined) throw new Error(`make-dataset: unknown category id ${id}`);
    return c;
  };
  const imgOf = (id: number) => {
    const i = imgIndex.get(id);
    if (i === undefined) throw new Error(`make-dataset: unknown image id ${id}`);
    return i;
  };

  const nA = d.annotations.length;
  const annImage = new Int32Array(nA);
  const annCategory = new Int32Array(nA);
  const bbox = new Float64Array(4 * nA);
  const area = new Float64Array(nA);
  const perImage: number[][] = d.images.map(() => []);
  d.annotations.forEach((a, k) => {
    annImage[k] = imgOf(a.image);
    annCategory[k] = catOf(a.category);
    bbox.set(a.bbox, 4 * k);
    area[k] = a.area ?? a.bbox[2] * a.bbox[3];
    perImage[annImage[k]!]!.push(k);
  });
  const annCsr = csr(perImage);
  const nanArray = (n: number) => new Float64Array(n).fill(NaN);

  return {
    source: { path: d.path ?? '/memory/test.json', encoding: 'plain', textBytes: 0, format: 'lvis', tiersDerived: false },
    extra: [],
    topLevelOrder: ['info', 'images', 'annotations', 'categories'],
    categories: {
      count: d.categories.length,
      id: Float64Array.from(d.categories, (c) => c.id),
      name: d.categories.map((c) => c.name ?? `cat${c.id}`),
      tier: Uint8Array.from(d.categories, (c) => TIER_INDEX[c.tier]),
      imageCount: Float64Array.from(d.categories, (c) => c.imageCount ?? NaN),
      instanceCount: Float64Array.from(d.categories, (c) => c.instanceCount ?? NaN),
      raw: d.categories.map((c) => JSON.stringify({ id: c.id, name: c.name ?? `cat${c.id}`, frequency: c.tier })),
    },
    images: {
      count: d.images.length,
      id: Float64Array.from(d.images, (im) => im.id),
      width: Float64Array.from(d.images, (im) => im.width ?? 640),
      height: Float64Array.from(d.images, (im) => im.height ?? 480),
      negCategories: csr(d.images.map((im) => (im.neg ?? []).map(catOf))),
      notExhaustiveCategories: csr(d.images.map((im) => (im.notExhaustive ?? []).map(catOf))),
      byteStart: nanArray(d.images.length),
      byteEnd: nanArray(d.images.length),
      annOffsets: annCsr.offsets,
      annIndex: annCsr.values,
    },
    annotations: {
      count: nA,
      id: Float64Array.from(d.annotations, (a, k) => a.id ?? k + 1),
      image: annImage,
      category: annCategory,
      bbox,
      area,
      iscrowd: new Uint8Array(nA),
      byteStart: nanArray(nA),
      byteEnd: nanArray(nA),
    },
  };
}

/** A tiny deterministic PRNG for building test data (not the code under test's). */
export function testRng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export interface RandomDatasetShape {
  images: number;
  /** Categories per tier. */
  frequent: number;
  common: number;
  rare: number;
  /** Mean annotations per annotated image. */
  meanAnnotations: number;
  /** Share of images without annotations. */
  emptyShare?: number;
  /** Share of annotations with a degenerate box (w < 1). */
  degenerateShare?: number;
}

/**
 * A random LVIS-shaped dataset: frequent categories appear often, rare ones in a handful of
 * images; object sizes spread over S/M/L; some images without annotations; some neg /
 * not-exhaustive lists.
 */
export function randomDataset(seed: number, shape: RandomDatasetShape): Dataset {
  const rnd = testRng(seed);
  const categories: CompactCategory[] = [];
  let id = 1;
  for (let k = 0; k < shape.frequent; k++) categories.push({ id: id++, tier: 'f' });
  for (let k = 0; k < shape.common; k++) categories.push({ id: id++, tier: 'c' });
  for (let k = 0; k < shape.rare; k++) categories.push({ id: id++, tier: 'r' });
  // Category weights: frequent ≫ common ≫ rare.
  const weight = categories.map((c) => (c.tier === 'f' ? 40 + 40 * rnd() : c.tier === 'c' ? 3 + 3 * rnd() : 0.3));
  const cum: number[] = [];
  let acc = 0;
  for (const w of weight) cum.push((acc += w));
  const pick = () => {
    const x = rnd() * acc;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return categories[lo]!.id;
  };
  const images: CompactImage[] = [];
  const annotations: CompactAnnotation[] = [];
  for (let i = 0; i < shape.images; i++) {
    const imageId = 1000 + 7 * i;
    const im: CompactImage = { id: imageId };
    if (rnd() < 0.3) im.neg = [pick()];
    images.push(im);
    if (rnd() < (shape.emptyShare ?? 0.02)) continue;
    const n = 1 + Math.floor(rnd() * 2 * (shape.meanAnnotations - 1) + 0.5);
    const cats: number[] = [];
    for (let a = 0; a < n; a++) {
      // Objects of one category cluster in an image, as in LVIS.
      const category = cats.length > 0 && rnd() < 0.4 ? cats[Math.floor(rnd() * cats.length)]! : pick();
      cats.push(category);
      const side = Math.exp(Math.log(4) + rnd() * (Math.log(400) - Math.log(4)));
      const degenerate = rnd() < (shape.degenerateShare ?? 0.005);
      const w = degenerate ? 0.5 : side * (0.6 + 0.8 * rnd());
      const h = side * (0.6 + 0.8 * rnd());
      annotations.push({ image: imageId, category, bbox: [rnd() * 100, rnd() * 100, w, h], area: w * h * 0.7 });
    }
    if (rnd() < 0.1) im.notExhaustive = [cats[0]!];
  }
  return makeDataset({ categories, images, annotations });
}
