/**
 * Category records and frequency tiers.
 *
 * Categories are few (1203 in LVIS v1, 80 in COCO), so each record is kept as its exact source
 * text (the writer copies it unchanged) and read with JSON.parse. LVIS gives every category a
 * `frequency` tier; COCO has none, and then the tiers are derived from the number of images in
 * which each category appears, with LVIS's own rule (rare 1–10, common 11–100, frequent > 100).
 */
import type { Tier } from '../dataset/dataset.js';
import type { RecordProblem } from './records.js';

export interface ParsedCategory {
  id: number;
  name: string;
  /** As written in the source; undefined when absent (COCO) or invalid. */
  frequency: Tier | undefined;
  /** Whether the record has a `frequency` field at all (valid or not). */
  hasFrequency: boolean;
  imageCount: number;
  instanceCount: number;
  raw: string;
}

const TIER_VALUES = new Set(['f', 'c', 'r']);

/**
 * Reads one category record from its source text. Problems go to `problems`; the result is
 * undefined when the record cannot be used at all.
 */
export function parseCategory(raw: string, index: number, offset: number, problems: RecordProblem[]): ParsedCategory | undefined {
  const value: unknown = JSON.parse(raw);
  const found: RecordProblem[] = [];
  const problem = (field: string | undefined, message: string) => found.push({ kind: 'category', index, field, message, offset });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem(undefined, `expected an object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`);
    problems.push(...found);
    return undefined;
  }
  const rec = value as Record<string, unknown>;
  const { id, name, frequency } = rec;
  if (id === undefined) problem(undefined, 'missing required field "id"');
  else if (typeof id !== 'number' || !Number.isInteger(id)) problem('id', `is ${JSON.stringify(id)}, expected an integer id`);
  if (name === undefined) problem(undefined, 'missing required field "name"');
  else if (typeof name !== 'string') problem('name', `is ${JSON.stringify(name)}, expected a string`);
  if (frequency !== undefined && (typeof frequency !== 'string' || !TIER_VALUES.has(frequency))) {
    problem('frequency', `is ${JSON.stringify(frequency)}, expected "r", "c" or "f"`);
  }
  const count = (field: 'image_count' | 'instance_count'): number => {
    const v = rec[field];
    if (v === undefined) return NaN;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      problem(field, `is ${JSON.stringify(v)}, expected an integer ≥ 0`);
      return NaN;
    }
    return v;
  };
  const imageCount = count('image_count');
  const instanceCount = count('instance_count');
  if (typeof id === 'number' && Number.isInteger(id)) for (const p of found) p.id = id;
  problems.push(...found);
  if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
  return {
    id,
    name: typeof name === 'string' ? name : String(name),
    frequency: typeof frequency === 'string' && TIER_VALUES.has(frequency) ? (frequency as Tier) : undefined,
    hasFrequency: frequency !== undefined,
    imageCount,
    instanceCount,
    raw,
  };
}

/**
 * LVIS's tier rule on the number of images a category appears in: rare 1–10, common 11–100,
 * frequent over 100. A category that appears in no image is rare: it is the rarest there is,
 * and the LVIS files themselves mark such categories (in val subsets) as rare or keep the train
 * tier; counting it as common or frequent would inflate those tiers.
 */
export function tierOfImageCount(images: number): Tier {
  if (images > 100) return 'f';
  if (images > 10) return 'c';
  return 'r';
}

/**
 * Number of distinct images each category appears in, from the annotations grouped by image
 * (CSR: image i's annotations are annIndex[annOffsets[i] .. annOffsets[i+1])).
 */
export function imagesPerCategory(categoryCount: number, annCategory: Int32Array, annOffsets: Int32Array, annIndex: Int32Array): Int32Array {
  const counts = new Int32Array(categoryCount);
  const lastImage = new Int32Array(categoryCount).fill(-1);
  const images = annOffsets.length - 1;
  for (let im = 0; im < images; im++) {
    for (let k = annOffsets[im]!; k < annOffsets[im + 1]!; k++) {
      const c = annCategory[annIndex[k]!]!;
      if (lastImage[c] !== im) {
        lastImage[c] = im;
        counts[c]!++;
      }
    }
  }
  return counts;
}
