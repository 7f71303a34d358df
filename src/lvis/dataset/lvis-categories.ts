/**
 * The real LVIS v1 category metadata vendored in data/lvis_v1_categories.json (see
 * data/README.md for its sources and license): one record per category with its name,
 * WordNet synset, frequency tier and its image and instance counts in LVIS v1 train.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import type { Tier } from './dataset.js';

export interface LvisCategoryMeta {
  id: number;
  name: string;
  synset: string;
  frequency: Tier;
  /** Images of LVIS v1 train with at least one instance of the category. */
  image_count: number;
  /** Instances of the category in LVIS v1 train. */
  instance_count: number;
  def: string;
  synonyms: string[];
}

/** Published size of LVIS v1 train and val (lvisdataset.org). */
export const LVIS_V1_TRAIN_IMAGES = 100_170;
export const LVIS_V1_TRAIN_ANNOTATIONS = 1_270_141;
export const LVIS_V1_VAL_IMAGES = 19_809;

/** Absolute path of the vendored file (the module runs from dist/src/lvis/dataset/). */
export const LVIS_V1_CATEGORIES_PATH = fileURLToPath(
  new URL('../../../../data/lvis_v1_categories.json', import.meta.url),
);

let cached: readonly LvisCategoryMeta[] | undefined;

/** The vendored LVIS v1 categories, sorted by id, validated once and cached. */
export function lvisV1Categories(): readonly LvisCategoryMeta[] {
  cached ??= readCategoryMetadata(LVIS_V1_CATEGORIES_PATH);
  return cached;
}

/**
 * Reads and checks a category metadata file: a JSON list of records with the fields of
 * LvisCategoryMeta. Every problem is reported with the record's id (or index) and field.
 */
export function readCategoryMetadata(path: string): LvisCategoryMeta[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DiagnosticError([
      { severity: 'error', message: `cannot read category metadata: ${(err as Error).message}`, location: { file: path } },
    ]);
  }
  const problems: Diagnostic[] = [];
  const fail = (message: string) => problems.push({ severity: 'error', message, location: { file: path } });
  if (!Array.isArray(parsed)) {
    fail('expected a JSON list of category records');
    throw new DiagnosticError(problems);
  }
  const seen = new Set<number>();
  parsed.forEach((rec: unknown, index) => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      fail(`record #${index}: expected an object`);
      return;
    }
    const r = rec as Record<string, unknown>;
    const who = Number.isInteger(r.id) ? `category id ${String(r.id)}` : `record #${index}`;
    const need = (field: string, ok: boolean, expected: string) => {
      if (!ok) fail(`${who}: field \`${field}\` must be ${expected}, got ${JSON.stringify(r[field]) ?? 'nothing'}`);
    };
    need('id', Number.isInteger(r.id) && (r.id as number) > 0, 'a positive integer');
    need('name', typeof r.name === 'string' && r.name.length > 0, 'a non-empty string');
    need('synset', typeof r.synset === 'string', 'a string');
    need('frequency', r.frequency === 'r' || r.frequency === 'c' || r.frequency === 'f', "one of 'r', 'c', 'f'");
    need('image_count', Number.isInteger(r.image_count) && (r.image_count as number) >= 1, 'an integer ≥ 1');
    need(
      'instance_count',
      Number.isInteger(r.instance_count) && (r.instance_count as number) >= (r.image_count as number),
      'an integer ≥ image_count',
    );
    need('def', typeof r.def === 'string', 'a string');
    need('synonyms', Array.isArray(r.synonyms) && r.synonyms.every((s) => typeof s === 'string'), 'a list of strings');
    if (Number.isInteger(r.id)) {
      if (seen.has(r.id as number)) fail(`${who}: duplicate id`);
      seen.add(r.id as number);
    }
  });
  if (problems.length) throw new DiagnosticError(problems);
  const records = (parsed as Record<string, unknown>[]).map(
    (r): LvisCategoryMeta => ({
      id: r.id as number,
      name: r.name as string,
      synset: r.synset as string,
      frequency: r.frequency as Tier,
      image_count: r.image_count as number,
      instance_count: r.instance_count as number,
      def: r.def as string,
      synonyms: r.synonyms as string[],
    }),
  );
  return records.sort((a, b) => a.id - b.id);
}
