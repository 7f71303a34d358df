/** Helpers for the load tests: temp files, small LVIS-shaped documents, catching diagnostics. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosticError } from '../src/base/diagnostic.js';

const dir = mkdtempSync(join(tmpdir(), 'load-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

/** Writes `content` to a fresh temp file and returns its path. */
export function tempFile(content: string | Buffer, ext = '.json'): string {
  const p = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(p, content);
  return p;
}

/** Awaits `promise`, which must reject with a DiagnosticError, and returns it. */
export async function diagnosticOf(promise: Promise<unknown>): Promise<DiagnosticError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DiagnosticError, `expected a DiagnosticError, got ${(err as Error)?.stack ?? String(err)}`);
    return err;
  }
  assert.fail('expected a DiagnosticError, but the call succeeded');
}

/** 1-based line and column (in characters) of byte `offset` of `text`, computed independently. */
export function lineColOf(text: string, offset: number): { line: number; col: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, offset).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, col: Array.from(lines.at(-1)!).length + 1 };
}

export interface Doc {
  info?: unknown;
  images: Record<string, unknown>[];
  annotations: Record<string, unknown>[];
  categories: Record<string, unknown>[];
  licenses?: unknown;
}

/** A small valid LVIS-format document: `nImages` images, 3 categories (one per tier), polygons. */
export function smallLvis(nImages = 4): Doc {
  const categories = [
    { id: 1, name: 'apple', frequency: 'f', image_count: 200, instance_count: 900, synset: 'apple.n.01' },
    { id: 2, name: 'banjo', frequency: 'c', image_count: 20, instance_count: 30, synset: 'banjo.n.01' },
    { id: 7, name: 'cab_(taxi)', frequency: 'r', image_count: 2, instance_count: 2, synset: 'cab.n.03' },
  ];
  const images = Array.from({ length: nImages }, (_, i) => ({
    id: 100 + i,
    width: 640,
    height: 480,
    file_name: `img_${i}.jpg`,
    coco_url: `http://images.example.org/val2017/${String(100 + i).padStart(12, '0')}.jpg`,
    neg_category_ids: i % 2 === 0 ? [7] : [],
    not_exhaustive_category_ids: i === 1 ? [1, 2] : [],
  }));
  const annotations: Record<string, unknown>[] = [];
  let id = 1;
  for (let i = 0; i < nImages - 1; i++) {
    for (let k = 0; k <= i % 3; k++) {
      const x = 10 * k + 1.5;
      annotations.push({
        area: 12.25 * (k + 1),
        id: id++,
        segmentation: [[x, 2.0, x + 5, 2.0, x + 5, 7.25, x, 7.25], [x, 1, x + 1, 1, x + 1, 2]],
        image_id: 100 + i,
        bbox: [x, 2.0, 5, 5.25],
        category_id: [1, 2, 7][(i + k) % 3],
      });
    }
  }
  return { info: { description: 'test', year: 2024 }, annotations, images, licenses: [{ id: 1, name: 'CC' }], categories };
}

/** JSON text in the style of Python's json.dump (", " and ": " separators), as LVIS files are written. */
export function pythonStyle(value: unknown): string {
  return JSON.stringify(value).replace(/("(?:[^"\\]|\\.)*")|([,:])/g, (_m, str: string | undefined, sep: string | undefined) => (str !== undefined ? str : sep === ',' ? ', ' : ': '));
}
