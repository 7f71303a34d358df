import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import { DiagnosticError } from '../src/base/diagnostic.js';
import prunePredsStep from '../src/steps/prune-preds.js';
import { filesIn, runStep, tempDir } from './write-prune-context.js';

const FIXTURES = new URL('../../test/fixtures/real/', import.meta.url);
const SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/lvis.schema.json', import.meta.url), 'utf8'));

interface Ann {
  id: number;
  image_id: number;
  category_id: number;
  bbox: number[];
  segmentation: unknown;
}

/**
 * Detections shaped like a detector's output (detectron2 writes `json.dumps(results)`), made
 * from the real COCO val2014 sample's annotations: one per annotation, plus a few per image
 * with other categories. Elements vary in layout (spaces, a newline, unicode in an extra
 * field) so that byte-identical copying is really checked. Returns the element texts.
 */
function detectionTexts(): { texts: string[]; dets: Array<{ image_id: number; category_id: number }> } {
  const gt = JSON.parse(readFileSync(new URL('instances_val2014_100.json', FIXTURES), 'utf8')) as {
    annotations: Ann[];
    categories: Array<{ id: number }>;
  };
  const texts: string[] = [];
  const dets: Array<{ image_id: number; category_id: number }> = [];
  const catIds = gt.categories.map((c) => c.id);
  gt.annotations.forEach((a, i) => {
    const score = ((a.id % 997) / 997).toFixed(4);
    const other = catIds[(i * 7) % catIds.length]!;
    for (const category_id of [a.category_id, other]) {
      let text: string;
      if (i % 50 === 0) text = `{\n  "image_id": ${a.image_id},\n  "category_id": ${category_id},\n  "bbox": [${a.bbox.join(', ')}],\n  "score": ${score}\n}`;
      else if (i % 31 === 0) text = `{"note": "caf\u00e9 {not a brace}", "category_id":${category_id},"image_id":${a.image_id},"bbox":[${a.bbox.join(',')}],"score":${score}}`;
      else text = `{"image_id": ${a.image_id}, "category_id": ${category_id}, "bbox": [${a.bbox.join(', ')}], "score": ${score}}`;
      texts.push(text);
      dets.push({ image_id: a.image_id, category_id });
    }
  });
  return { texts, dets };
}

function writePreds(dir: string, texts: string[], name = 'preds.json'): string {
  const p = join(dir, name);
  writeFileSync(p, `[${texts.join(', ')}]`);
  return p;
}

test('prune-preds keeps, in order and byte for byte, the detections of kept categories on GT images', async () => {
  const dir = tempDir();
  const { texts, dets } = detectionTexts();
  const path = writePreds(dir, texts);
  const allImages = [...new Set(dets.map((d) => d.image_id))];
  const images = allImages.filter((_, i) => i % 3 !== 0); // as if drop_empty_images removed some
  const kept = [...new Set(dets.map((d) => d.category_id))].filter((c) => c % 2 === 1);

  const { result, ctx } = await runStep(prunePredsStep, { path, out: 'preds_pruned.json' }, { images: { ids: images }, kept: { ids: kept, names: [] } }, dir);

  const keep = dets.map((d) => kept.includes(d.category_id) && images.includes(d.image_id));
  const expected = `[${texts.filter((_, i) => keep[i]).join(', ')}]`;
  const out = readFileSync(result.preds, 'utf8');
  assert.equal(out, expected);
  const byCategory = dets.filter((d) => !kept.includes(d.category_id)).length;
  const byImage = dets.filter((d) => kept.includes(d.category_id) && !images.includes(d.image_id)).length;
  assert.ok(byCategory > 0 && byImage > 0 && keep.some(Boolean), 'the test data exercises both filters');
  assert.equal(ctx.logs.length, 1);
  assert.match(
    ctx.logs[0]!,
    new RegExp(`kept ${keep.filter(Boolean).length} of ${dets.length} detections; dropped ${byCategory} of categories not kept and ${byImage} on images not in the pruned GT`),
  );

  const ajv = new Ajv({ allErrors: true });
  ajv.addSchema(SCHEMA);
  const validate = ajv.getSchema(`${SCHEMA.$id}#/definitions/predictions`)!;
  assert.ok(validate(JSON.parse(out)), ajv.errorsText(validate.errors));
});

test('prune-preds reads gzip predictions and takes kept ids from the `categories` option', async () => {
  const dir = tempDir();
  const { texts, dets } = detectionTexts();
  const plain = writePreds(dir, texts);
  const gz = join(dir, 'preds.json.gz');
  writeFileSync(gz, gzipSync(readFileSync(plain)));
  const images = { ids: [...new Set(dets.map((d) => d.image_id))] };
  const categories = [1, 3, 62];
  const a = await runStep(prunePredsStep, { path: plain, out: 'a.json', categories }, { images }, dir);
  const b = await runStep(prunePredsStep, { path: gz, out: 'b.json', categories }, { images }, tempDir());
  const out = readFileSync(a.result.preds, 'utf8');
  assert.equal(readFileSync(b.result.preds, 'utf8'), out);
  const parsed = JSON.parse(out) as Array<{ category_id: number }>;
  assert.equal(parsed.length, dets.filter((d) => categories.includes(d.category_id)).length);
  assert.ok(parsed.length > 0);
});

test('prune-preds of an empty list writes an empty list', async () => {
  const dir = tempDir();
  const path = join(dir, 'empty.json');
  writeFileSync(path, ' [ ]\n');
  const { result } = await runStep(prunePredsStep, { path, out: 'o.json', categories: [1] }, { images: { ids: [1] } }, dir);
  assert.equal(readFileSync(result.preds, 'utf8'), '[]');
});

test('prune-preds warns when it keeps nothing, and asks whether the predictions belong to the GT when most were on other images', async () => {
  const dir = tempDir();
  const path = join(dir, 'preds.json');
  const det = (image_id: number, category_id: number) => ({ image_id, category_id, bbox: [1, 2, 3, 4], score: 0.5 });
  writeFileSync(path, JSON.stringify([det(7, 1), det(8, 1), det(9, 2)]));
  const other = await runStep(prunePredsStep, { path, out: 'o.json', categories: [1, 2] }, { images: { ids: [1, 2] } }, dir);
  assert.equal(readFileSync(other.result.preds, 'utf8'), '[]');
  assert.equal(other.ctx.logs[1], 'warning: no detection was kept, and most were on images the GT does not have: are these predictions for this GT file?');
  // Dropped for their categories only: a plain warning.
  const cats = await runStep(prunePredsStep, { path, out: 'p.json', categories: [3] }, { images: { ids: [7, 8, 9] } }, dir);
  assert.equal(cats.ctx.logs[1], 'warning: no detection was kept');
  // Something kept: no warning.
  const some = await runStep(prunePredsStep, { path, out: 'q.json', categories: [1] }, { images: { ids: [7] } }, dir);
  assert.equal(some.ctx.logs.length, 1);
});

/** Runs prune-preds on `text` and returns the DiagnosticError; checks nothing was written. */
async function failure(text: string | Buffer, options: Record<string, unknown> = { categories: [1] }, kept?: { ids: number[]; names: string[] }): Promise<DiagnosticError> {
  const dir = tempDir();
  const path = join(dir, 'preds.json');
  writeFileSync(path, text);
  const before = filesIn(dir);
  const err = await runStep(prunePredsStep, { path, out: 'o.json', ...options }, { images: { ids: [1, 2] }, ...(kept ? { kept } : {}) }, dir).then(
    () => assert.fail('expected a DiagnosticError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DiagnosticError, String(err));
  assert.deepEqual(filesIn(dir), before, 'no output (or temp) file is left behind');
  assert.equal(existsSync(join(dir, 'preds.output')), false);
  return err;
}

test('prune-preds rejects a file that is not a list', async () => {
  const err = await failure('{"annotations": []}');
  assert.match(err.message, /expected a JSON array of detections at the top level, found an object/);
  assert.equal(err.diagnostics[0]!.location?.offset, 0);
});

test('prune-preds rejects malformed JSON with its byte offset', async () => {
  const err = await failure('[{"image_id": 1, "category_id": 1, "score": 0.5}, {"image_id": 2, "category_id": 1, "score": 0.');
  assert.match(err.message, /truncated/);
  const garbage = await failure('[{"image_id": 1, "category_id": 1, "score": 0.5} {"image_id": 2}]');
  assert.equal(garbage.diagnostics[0]!.location?.offset, 49);
  assert.equal(garbage.diagnostics[0]!.location?.line, 1);
  assert.equal(garbage.diagnostics[0]!.location?.col, 50);
});

test('prune-preds names the index and byte offset of a detection without numeric ids', async () => {
  const good = '{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.9}';
  const text = `[${good}, {"category_id": 1, "score": 0.5},\n${good}, {"image_id": 2, "category_id": "3", "score": 0.1}, {"image_id": 2.5, "category_id": 1}, 7]`;
  const err = await failure(text);
  const d = err.diagnostics;
  assert.equal(d.length, 4);
  assert.match(d[0]!.message, /detection #1: the detection has no "image_id"/);
  assert.equal(d[0]!.location?.offset, text.indexOf('{"category_id": 1, "score": 0.5}'));
  assert.equal(d[0]!.location?.line, 1);
  assert.match(d[1]!.message, /detection #3: field "category_id" must be a number, found "3"/);
  assert.equal(d[1]!.location?.offset, text.indexOf('{"image_id": 2, "category_id": "3"'));
  assert.match(d[2]!.message, /detection #4: field "image_id" must be an integer id, found 2.5/);
  assert.match(d[3]!.message, /detection #5: expected a JSON object/);
});

test('prune-preds lists the first ten bad detections and counts the rest', async () => {
  const text = `[${Array.from({ length: 25 }, (_, i) => `{"score": ${i}}`).join(', ')}]`;
  const err = await failure(text);
  assert.equal(err.diagnostics.length, 11);
  assert.match(err.diagnostics[10]!.message, /and 15 more bad detection/);
});

test('prune-preds needs kept categories from exactly one place', async () => {
  const text = '[{"image_id": 1, "category_id": 1, "score": 0.9}]';
  const neither = await failure(text, {});
  assert.match(neither.message, /no kept categories/);
  assert.equal(neither.exitCode, 2);
  const both = await failure(text, { categories: [1] }, { ids: [1], names: ['a'] });
  assert.match(both.message, /either as the `kept` input or as the `categories` option, not both/);
});

test('a failed prune-preds leaves an earlier output file as it was', async () => {
  const dir = tempDir();
  const path = join(dir, 'preds.json');
  writeFileSync(path, '[{"image_id": 1, "category_id": 1, "score": 0.9}, {"image_id": 1}]');
  const out = join(dir, 'preds.output');
  writeFileSync(out, 'previous result');
  await assert.rejects(runStep(prunePredsStep, { path, out: 'x.json', categories: [1] }, { images: { ids: [1] } }, dir), DiagnosticError);
  assert.equal(readFileSync(out, 'utf8'), 'previous result');
  assert.deepEqual(filesIn(dir), ['preds.json', 'preds.output']);
});
