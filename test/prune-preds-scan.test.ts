/**
 * The fast scan of prune-preds against the exact path (json-scan's streamTopLevelArray +
 * readNumberField): on every valid file they keep the same detections with the same bytes;
 * on anything the fast scan does not handle it gives up, and prunePreds' answer comes from
 * the exact path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readNumberField } from '../src/lvis/json/object-field.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';
import { FastScanGaveUp, scanDetectionsFast } from '../src/lvis/prune/preds-fast-scan.js';
import { prunePreds } from '../src/lvis/prune/prune-preds.js';
import { tempDir } from './write-prune-context.js';

const keepOdd = (imageId: number, categoryId: number) => categoryId % 2 === 1 && imageId !== 3;
/** keepOdd as the fast scan's id tables (ids here are below 20). */
const KEEP_ODD = {
  categories: Uint8Array.from({ length: 20 }, (_, c) => (keepOdd(1, c) ? 1 : 0)),
  images: Uint8Array.from({ length: 20 }, (_, i) => (keepOdd(i, 1) ? 1 : 0)),
};

/** The exact path's view: each kept detection's text, in order. */
async function exactKept(path: string): Promise<string[]> {
  const out: string[] = [];
  await streamTopLevelArray(path, (bytes) => {
    if (keepOdd(readNumberField(bytes, 'image_id')!, readNumberField(bytes, 'category_id')!)) out.push(bytes.toString('utf8'));
  });
  return out;
}

/** The fast scan's output file text (runs joined by the source separator), or 'gave up'. */
async function fastOutput(path: string, chunkBytes?: number): Promise<string> {
  const parts: string[] = [];
  try {
    await scanDetectionsFast(
      path,
      KEEP_ODD,
      (buf, start, end) => parts.push(buf.subarray(start, end).toString('utf8')),
      chunkBytes ? { chunkBytes } : {},
    );
  } catch (err) {
    if (err instanceof FastScanGaveUp) return 'gave up';
    throw err;
  }
  return `[${parts.join('')}]`;
}

const DETECTIONS = [
  '{"image_id": 1, "category_id": 1, "bbox": [10.5, 2e-3, -0.0, 4E+2], "score": 0.25}',
  '{"category_id": 3, "score": 1, "image_id": 2, "bbox": [0, 0, 1, 1]}',
  '{"image_id": 2, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 0.5}',
  // RLE segmentation: COCO's compressed counts use backslashes (and brackets), escaped in JSON.
  '{"image_id": 4, "category_id": 5, "segmentation": {"size": [480, 640], "counts": "`0T3\\\\l[9"}, "score": 0.9}',
  '{"image_id": 3, "category_id": 7, "score": 0.1, "bbox": [1, 1, 1, 1]}',
  '{"image_id": 5, "category_id": 9, "note": "caf\u00e9 \\u00e9 [}]", "extra": [true, false, null, {"a": []}], "score": 0.3, "bbox": [0, 0, 2, 2]}',
  '{"image_id": 6, "category_id": 11, "score": 0.3, "bbox": [1, 1, 5, 5]}',
];

function write(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('the fast scan keeps exactly what the exact path keeps, whatever the layout and window size', async () => {
  const dir = tempDir();
  const layouts = {
    'python.json': `[${DETECTIONS.join(', ')}]`,
    'compact.json': `[${DETECTIONS.join(',')}]`,
    'pretty.json': `\ufeff[\n  ${DETECTIONS.join(',\n  ')}\n]\n`,
  };
  for (const [name, text] of Object.entries(layouts)) {
    const path = write(dir, name, text);
    const kept = await exactKept(path);
    assert.equal(kept.length, 5);
    const sep = name === 'python.json' ? ', ' : name === 'compact.json' ? ',' : ',\n  ';
    // Kept neighbours are copied as one run, with the separator between them as it is.
    const expected = `[${kept.join(sep)}]`;
    for (const chunk of [undefined, 5, 17, 64]) {
      assert.equal(await fastOutput(path, chunk), expected, `${name}, windows of ${chunk ?? 'default'} bytes`);
    }
    const gz = write(dir, `${name}.gz`, '');
    writeFileSync(gz, gzipSync(text));
    assert.equal(await fastOutput(gz, 11), expected, `${name}.gz`);
  }
});

test('prunePreds takes the fast path on ordinary files and the exact path otherwise, with the same result', async () => {
  const dir = tempDir();
  const filter = { categoryIds: new Set([1, 3, 5, 7, 9, 11]), imageIds: new Set([1, 2, 4, 5, 6]) };
  const plain = write(dir, 'plain.json', `[${DETECTIONS.join(', ')}]`);
  const a = await prunePreds(plain, filter, join(dir, 'a.json'));
  assert.equal(a.fastPath, true);
  assert.equal(a.kept, 5);
  assert.equal(a.droppedCategory, 1);
  assert.equal(a.droppedImage, 1);

  // Ids too large for the fast scan's tables: the exact path, same answer.
  const huge = await prunePreds(plain, { ...filter, imageIds: new Set([...filter.imageIds, 2 ** 30]) }, join(dir, 'huge.json'));
  assert.equal(huge.fastPath, false);
  assert.equal(readFileSync(join(dir, 'huge.json'), 'utf8'), readFileSync(join(dir, 'a.json'), 'utf8'));

  // Valid, but outside what the fast scan reads: an escaped key, and an id written 6.0.
  const unusual = [...DETECTIONS, '{"image\\u005fid": 6, "category_id": 11.0, "score": 0.2, "bbox": [0, 0, 1, 1]}'];
  const b = await prunePreds(write(dir, 'unusual.json', `[${unusual.join(', ')}]`), filter, join(dir, 'b.json'));
  assert.equal(b.fastPath, false);
  assert.equal(b.kept, 6);
  assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), `${readFileSync(join(dir, 'a.json'), 'utf8').slice(0, -1)}, ${unusual[7]}]`);
});

test('the fast scan gives up on every malformed file the exact path rejects', async () => {
  const dir = tempDir();
  const bad = [
    '{"image_id": 1, "category_id": 1}',
    '[{"image_id": 1, "category_id": 1} {"image_id": 2, "category_id": 1}]',
    '[{"image_id": 1, "category_id": 1, "bbox": [1, 2,]}]',
    '[{"image_id": 1, "category_id": 1, "score": 01}]',
    '[{"image_id": 1, "category_id": 1, "score": 1.}]',
    '[{"image_id": 1, "category_id": 1, "s": "\\x"}]',
    '[{"image_id": 1, "category_id": 1}, ]',
    '[{"image_id": 1, "category_id": 1}] x',
    '[{"image_id": 1, "category_id": 1}',
    '[{"image_id": 1}]',
    '[{"image_id": 1, "category_id": "1"}]',
    '[{"image_id": 1, "category_id": 1, "x": tru}]',
    '[7]',
  ];
  for (const [i, text] of bad.entries()) {
    const path = write(dir, `bad${i}.json`, text);
    for (const chunk of [undefined, 4]) assert.equal(await fastOutput(path, chunk), 'gave up', text);
    await assert.rejects(prunePreds(path, { categoryIds: new Set([1]), imageIds: new Set([1]) }, join(dir, `out${i}.json`)), text);
  }
});
