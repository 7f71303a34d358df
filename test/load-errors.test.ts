/**
 * Everything that can be wrong with an input file: malformed JSON (exact offset and line:col),
 * the wrong shape, and bad records (named by id, index and field, listed up to max_errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/lvis/load/load.js';
import { formatDiagnostic } from '../src/base/diagnostic.js';
import { describeEvent } from '../src/runner/reporters/describe.js';
import { diagnosticOf, lineColOf, pythonStyle, smallLvis, tempFile, type Doc } from './load-helpers.js';

const REAL = fileURLToPath(new URL('../../test/fixtures/real/', import.meta.url));

/** Loads `text` and returns the diagnostics' messages and locations. */
async function errorsOf(text: string | Buffer, opts: Parameters<typeof loadDataset>[1] = {}) {
  const err = await diagnosticOf(loadDataset(tempFile(text), opts));
  assert.equal(err.exitCode, 1);
  return err.diagnostics.map((d) => ({ message: d.message, offset: d.location?.offset, line: d.location?.line, col: d.location?.col }));
}

/** Loads `text`, expecting exactly one diagnostic at byte `offset` whose message matches. */
async function expectOneError(text: string, offset: number, message: RegExp, opts: Parameters<typeof loadDataset>[1] = {}) {
  const errors = await errorsOf(text, opts);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  const [e] = errors;
  assert.match(e!.message, message);
  assert.equal(e!.offset, offset, `offset of: ${e!.message}`);
  assert.deepEqual({ line: e!.line, col: e!.col }, lineColOf(text, offset));
  return e!;
}

const docText = (doc: Doc) => pythonStyle(doc);
const byteOffset = (text: string, needle: string, from = 0) => {
  const at = Buffer.from(text).indexOf(needle, from);
  assert.ok(at >= 0, `${needle} not found`);
  return at;
};

// ---------------------------------------------------------------------------------------------
// Malformed JSON

test('a truncated file is reported at its end, with the array it stopped in', async () => {
  const full = readFileSync(REAL + 'instances_val2017_small.json', 'utf8');
  for (const cut of [full.length - 10, Math.floor(full.length / 2), 1000]) {
    const text = full.slice(0, cut);
    await expectOneError(text, Buffer.byteLength(text), /unexpected end of input .*the file is truncated/);
  }
  const text = docText(smallLvis()).slice(0, 300);
  const e = await expectOneError(text, Buffer.byteLength(text), /truncated/);
  assert.match(e.message, /in "annotations" after \d+ records?/);
});

test('a truncated gzip file is reported as such', async () => {
  const gz = gzipSync(docText(smallLvis()));
  const err = await diagnosticOf(loadDataset(tempFile(gz.subarray(0, gz.length - 12), '.json.gz')));
  assert.match(err.message, /not a valid gzip file|truncated/);
});

test('garbage between records, in a record, in a key and after the end is located exactly', async () => {
  const good = readFileSync(REAL + 'instances_val2017_small.json', 'utf8'); // pretty-printed: many lines
  const cases: [from: string, to: string, errorAt: number, message: RegExp][] = [
    // The error is at `to`'s character errorAt.
    ['"id": 82445\n    },', '"id": 82445\n    } x', 18, /unexpected 'x' after annotation #0 of "annotations", expected ',' or '\]'/],
    ['"area": 1481.3806499999994', '"area": 1481.38.06499999994', 15, /unexpected '\.' after the number 1481\.38/],
    ['"image_id": 397133,', '"image_id" 397133,', 11, /unexpected '3' after an object key, expected ':'/],
    ['"bbox": [217.62,', '"bbox": [,217.62,', 9, /unexpected ',', expected a JSON value/],
    ['"category_id": 44,', '"category_id": 44,,', 18, /expected a '"' starting a key/],
  ];
  for (const [from, to, errorAt, message] of cases) {
    assert.ok(good.includes(from), from);
    const text = good.replace(from, to);
    await expectOneError(text, byteOffset(text, to) + errorAt, message);
  }
  await expectOneError(good + '\n}', Buffer.byteLength(good) + 1, /after the top-level object, expected the end of the file/);
});

test('bad strings, nesting, records and categories: one error each, at the exact byte, line and column', async () => {
  const base = docText(smallLvis(2));
  // [replace, with, then the error is at byte `at` of the replacement (or of `marker`), its message, strict_json]
  const cases: { from: string; to: string; at: number; marker?: string; message: RegExp; strict?: boolean }[] = [
    { from: '"file_name": "img_0.jpg"', to: '"file_name": "img_\\u00zz.jpg"', at: 22, message: /^invalid \\u escape in a string: 'z' is not a hex digit/ },
    { from: '"file_name": "img_0.jpg"', to: '"file_name": "img_\\q.jpg"', at: 19, message: /^invalid escape '\\q' in a string/ },
    // The fast scan skips the strings of fields it does not read; strict_json checks them too.
    { from: '"file_name": "img_0.jpg"', to: '"file_name": "img_\t0.jpg"', at: 18, message: /^unescaped control character \(byte 0x09\) in a string/, strict: true },
    { from: '"name": "apple"', to: '"name": "app\u0001le"', at: 12, message: /^unescaped control character \(byte 0x01\) in a string/ },
    { from: '"info": {"description": "test", "year": 2024}', to: '"info": ' + '['.repeat(600) + ']'.repeat(600), at: 8 + 512, message: /^arrays and objects nested deeper than 512 levels/ },
    { from: '"annotations": [{"area"', to: '"annotations": [5, {"area"', at: 16, message: /^annotation #0: expected an object, found '5'/ },
    { from: '"image_id": 100, "bbox"', to: '"image_id": 100, "image_id": 100, "bbox"', at: 29, message: /^annotation id=1 \(#0\), field "image_id": appears twice in the record/ },
    { from: '"id": 1, "segmentation"', to: '"id": 1.5, "segmentation"', at: 6, message: /^annotation #0, field "id": is 1\.5, expected an integer id/ },
    { from: '"images": [{"id": 100', to: '"images": ["x", {"id": 100', at: 11, message: /^image #0: expected an object, found a string/ },
    { from: '{"id": 100, "width": 640', to: '{"id": 100, "id": 100, "width": 640', at: 18, message: /^image id=100 \(#0\), field "id": appears twice in the record/ },
    { from: '{"id": 101,', to: '{"id": 101.5,', at: 7, message: /^image #1, field "id": is 101\.5, expected an integer id/ },
    { from: '"categories": [{"id": 1,', to: '"categories": [null, {"id": 1,', at: 15, message: /^category #0: expected an object, found null/ },
    { from: '{"id": 2, "name": "banjo"', to: '{"id": "2", "name": "banjo"', at: 0, message: /^category #1, field "id": is "2", expected an integer id/ },
    // Python's NaN / Infinity: named as such wherever they stand, read or skipped.
    { from: '"image_count": 20,', to: '"image_count": NaN,', at: 15, message: /^NaN is not a JSON number \(Python's json\.dump writes it for a non-finite float\); expected a finite number/ },
    { from: '"image_count": 20,', to: '"image_count": -Infinity,', at: 15, message: /^-Infinity is not a JSON number/ },
    // Category problems are located at the category's record.
    { from: '"image_count": 20,', to: '"image_count": -3,', at: 0, marker: '{"id": 2, "name": "banjo"', message: /^category id=2 \(#1\), field "image_count": is -3, expected an integer ≥ 0/ },
  ];
  for (const c of cases) {
    assert.ok(base.includes(c.from), c.from);
    const text = base.replace(c.from, c.to);
    await expectOneError(text, byteOffset(text, c.marker ?? c.to) + c.at, c.message, c.strict ? { strict: true } : {});
  }
});

test('garbage inside a polygon: found by the fast scan at its end, anywhere by strict_json', async () => {
  const doc = docText(smallLvis());
  const atEnd = doc.replace('7.25]', '7.25x]');
  await expectOneError(atEnd, byteOffset(atEnd, 'x]'), /unexpected 'x'/);
  const inside = doc.replace('7.25,', '7.2.5,');
  await expectOneError(inside, byteOffset(inside, '7.2.5,') + 3, /after the number 7\.2/, { strict: true });
});

test('the wrong top-level shape is named', async () => {
  await expectOneError('[{"image_id": 1, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 0.5}]', 0, /expected a JSON object with "images", "annotations" and "categories" at the top level, found an array \(a predictions file\?\)/);
  await expectOneError('  ', 2, /found an empty file/);
  await expectOneError('"hello"', 0, /expected a JSON object/);
  const imagesObject = '{"images": {}, "annotations": [], "categories": []}';
  await expectOneError(imagesObject, byteOffset(imagesObject, '{}'), /the top-level "images" must be an array of image records, found an object/);
  const twice = '{"images": [], "annotations": [], "images": [], "categories": []}';
  await expectOneError(twice, byteOffset(twice, '"images"', 5), /the top-level member "images" appears twice/);
  const missing = await errorsOf('{"images": [], "categories": []}');
  assert.match(missing[0]!.message, /no top-level "annotations" array/);
});

// ---------------------------------------------------------------------------------------------
// Bad records

test('a missing or wrongly typed field names the record id, index and field', async () => {
  const doc = smallLvis();
  delete doc.annotations[2]!.bbox;
  doc.annotations[3]!.category_id = '2';
  doc.images[1]!.width = 'wide';
  delete doc.images[2]!.id;
  doc.annotations[4]!.iscrowd = 2;
  doc.annotations[5]!.area = -3;
  const text = docText(doc);
  const errors = await errorsOf(text);
  const messages = errors.map((e) => e.message.split('\n')[0]);
  assert.deepEqual(messages, [
    'annotation id=3 (#2): missing required field "bbox"',
    'annotation id=4 (#3), field "category_id": expected an integer id, found a string',
    'annotation id=5 (#4), field "iscrowd": is 2, expected 0 or 1',
    'annotation id=6 (#5), field "area": is -3, expected a finite number ≥ 0',
    'image id=101 (#1), field "width": expected a number, found a string',
    'image #2: missing required field "id"',
  ]);
  // No "unknown image 102" for the annotations of the image without an id: that would only repeat it.
  // Field errors point at the value, record errors at the record.
  const categoryValue = byteOffset(text, '"category_id": "2"') + '"category_id": '.length;
  assert.equal(errors[1]!.offset, categoryValue);
  assert.deepEqual({ line: errors[1]!.line, col: errors[1]!.col }, lineColOf(text, categoryValue));
});

test('non-finite and negative bbox values are reported (Python writes NaN and Infinity as bare words)', async () => {
  const doc = docText(smallLvis());
  const boxes = ['[1.5, 2, 5, 5.25]', '[11.5, 2, 5, 5.25]'];
  assert.ok(doc.includes(boxes[0]!) && doc.includes(boxes[1]!));
  const text = doc.replace(boxes[0]!, '[1.5, 2, NaN, 5.25]').replace(boxes[1]!, '[-11.5, 2, 5, Infinity]');
  const messages = (await errorsOf(text)).map((e) => e.message.split('\n')[0]);
  assert.deepEqual(messages, [
    'annotation id=1 (#0), field "bbox": bbox[2] is NaN, expected a finite number ≥ 0',
    'annotation id=3 (#2), field "bbox": bbox[0] is -11.5, expected a finite number ≥ 0',
  ]);
  const huge = doc.replace(boxes[0]!, '[1.5, 2, 1e999, 5.25]');
  assert.match((await errorsOf(huge))[0]!.message, /bbox\[2\] is Infinity/);
  const short = doc.replace(boxes[0]!, '[1.5, 2, 5]');
  assert.match((await errorsOf(short))[0]!.message, /annotation id=1 \(#0\), field "bbox": expected an array of 4 numbers \[x, y, width, height\], found \[1\.5, 2, 5\]/);
});

test('duplicate ids of annotations, images and categories', async () => {
  const doc = smallLvis();
  doc.annotations[4]!.id = doc.annotations[1]!.id;
  doc.images[3]!.id = doc.images[0]!.id;
  doc.categories[2]!.id = 2;
  doc.annotations.forEach((a) => {
    if (a.category_id === 7) a.category_id = 1;
  });
  const messages = (await errorsOf(docText(doc))).map((e) => e.message.split('\n')[0]);
  assert.deepEqual(messages, [
    'category id=2 (#2), field "id": duplicate id (also category #1)',
    'image id=100 (#3), field "id": duplicate id (also image #0)',
    'image id=100 (#0), field "neg_category_ids": lists category id 7, which is not in "categories"',
    'image id=102 (#2), field "neg_category_ids": lists category id 7, which is not in "categories"',
    'annotation id=2 (#4), field "id": duplicate id (another annotation has it)',
  ]);
});

test('references to unknown images and categories, from annotations and from neg/not-exhaustive lists', async () => {
  const doc = smallLvis();
  doc.annotations[0]!.image_id = 999;
  doc.annotations[1]!.category_id = 55;
  doc.images[1]!.not_exhaustive_category_ids = [1, 56];
  const messages = (await errorsOf(docText(doc))).map((e) => e.message.split('\n')[0]);
  assert.deepEqual(messages, [
    'image id=101 (#1), field "not_exhaustive_category_ids": lists category id 56, which is not in "categories"',
    'annotation id=1 (#0), field "image_id": is 999, which is not in "images"',
    'annotation id=2 (#1), field "category_id": is 55, which is not in "categories"',
  ]);
});

test('bad category records and a half-LVIS, half-COCO category list', async () => {
  const doc = smallLvis();
  doc.categories[0]!.frequency = 'x';
  delete doc.categories[1]!.frequency;
  doc.categories[2]!.name = 7;
  const messages = (await errorsOf(docText(doc))).map((e) => e.message.split('\n')[0]);
  assert.deepEqual(messages, [
    'category id=1 (#0), field "frequency": is "x", expected "r", "c" or "f"',
    'category id=7 (#2), field "name": is 7, expected a string',
    'category id=2 (#1), field "frequency": is missing, while 2 other categories have one (expected "r", "c" or "f")',
  ]);
});

test('the first max_errors bad records are listed, then a count of the rest', async () => {
  const doc = smallLvis(30);
  for (const a of doc.annotations) a.bbox = [1, 2, 3, -1];
  const n = doc.annotations.length;
  assert.ok(n > 25);
  const errors = await errorsOf(docText(doc));
  assert.equal(errors.length, 21);
  assert.match(errors[19]!.message, /annotation id=20 \(#19\), field "bbox": bbox\[3\] is -1/);
  assert.equal(errors[20]!.message, `… and ${n - 20} more bad records (${n} in all)`);
  const five = await errorsOf(docText(doc), { maxErrors: 5 });
  assert.equal(five.length, 6);
  assert.equal(five[5]!.message, `… and ${n - 5} more bad records (${n} in all)`);
});

test('control bytes of the file near an error are shown escaped, never sent to the terminal', async () => {
  const doc = smallLvis(40);
  doc.annotations[30]!.image_id = 12345;
  // Raw ESC and BEL bytes just before the bad record: a screen clear and a window title.
  const text = docText(doc);
  const end = text.lastIndexOf('}', text.indexOf('"id": 31,')); // the end of the record before the bad one
  const raw = text.slice(0, end) + ', "note": "\x1b[2J\x1b]0;pwned\x07"' + text.slice(end);
  const err = await diagnosticOf(loadDataset(tempFile(raw)));
  const shown = err.diagnostics.map(formatDiagnostic).join('\n');
  assert.match(shown, /near: .*\\x1b\[2J\\x1b\]0;pwned\\x07/);
  assert.doesNotMatch(shown, /[\x00-\x08\x0b-\x1f\x7f]/, 'no control byte but newlines');
  // Every human line goes through the same escaping: a log line from a data file, a failure.
  const log = describeEvent({ type: 'step-log', runId: 'r', stepId: 'load', message: 'category \x1b]0;title\x07 \u202eevil' });
  assert.equal(log, '  load: category \\x1b]0;title\\x07 \\u202eevil');
});

test('record errors in a one-line file show the text around them instead of the whole line', async () => {
  const doc = smallLvis(40);
  doc.annotations[30]!.image_id = 12345;
  const text = docText(doc);
  assert.ok(!text.includes('\n') && text.length > 3000);
  const [e] = await errorsOf(text);
  assert.match(e!.message, /annotation id=31 \(#30\), field "image_id": is 12345, which is not in "images"\n {4}near: ….*⟨here⟩\{"area": /);
  assert.equal(e!.line, 1);
});

// ---------------------------------------------------------------------------------------------
// Unusual but valid files

test('valid JSON that the fast scan does not expect is read again strictly and loads', async () => {
  const doc = smallLvis();
  doc.annotations[1]!.segmentation = [[1, 2, 3], [4, [5, 6]], { size: [1, 2], counts: 'a]b' }];
  doc.annotations[2]!.segmentation = [1, 'x]', 2];
  const text = docText(doc);
  const r = await loadDataset(tempFile(text));
  assert.equal(r.rereadStrictly, true);
  assert.equal(r.dataset.annotations.count, doc.annotations.length);
  const bytes = Buffer.from(text);
  for (let k = 0; k < doc.annotations.length; k++) {
    assert.deepEqual(JSON.parse(bytes.toString('utf8', r.dataset.annotations.byteStart[k]!, r.dataset.annotations.byteEnd[k]!)), doc.annotations[k]);
  }
});

test('escaped keys, a BOM, whitespace everywhere and fields in any order are read', async () => {
  const doc = smallLvis();
  const text =
    '\ufeff' +
    JSON.stringify(doc, null, 3)
      .replace('"category_id"', '"categ\\u006fry_id"')
      .replace(/"neg_category_ids"/, '"neg_category_id\\u0073"');
  const { dataset: ds } = await loadDataset(tempFile(text));
  assert.equal(ds.annotations.count, doc.annotations.length);
  assert.equal(ds.categories.id[ds.annotations.category[0]!], doc.annotations[0]!.category_id);
  assert.equal(ds.images.negCategories.offsets[1], 1);
  const reordered = { categories: doc.categories, images: doc.images.map((im) => Object.fromEntries(Object.entries(im).reverse())), annotations: doc.annotations.map((a) => Object.fromEntries(Object.entries(a).reverse())) };
  const r = await loadDataset(tempFile(JSON.stringify(reordered)));
  assert.deepEqual(Array.from(r.dataset.annotations.bbox), doc.annotations.flatMap((a) => a.bbox as number[]));
  assert.deepEqual(r.dataset.topLevelOrder, ['categories', 'images', 'annotations']);
});

test('images without annotations are kept and counted; an empty dataset loads', async () => {
  const doc = smallLvis(6);
  doc.annotations = doc.annotations.filter((a) => a.image_id !== 101);
  const r = await loadDataset(tempFile(docText(doc)));
  assert.equal(r.dataset.images.count, 6);
  const used = new Set(doc.annotations.map((a) => a.image_id));
  assert.equal(r.imagesWithoutAnnotations, doc.images.filter((im) => !used.has(im.id)).length);
  const empty = await loadDataset(tempFile('{"images": [], "annotations": [], "categories": []}'));
  assert.deepEqual([empty.dataset.images.count, empty.dataset.annotations.count, empty.dataset.categories.count, empty.imagesWithoutAnnotations], [0, 0, 0, 0]);
});

test('a missing file is a diagnostic, not a crash', async () => {
  const err = await diagnosticOf(loadDataset('/nonexistent/lvis_v1_train.json'));
  assert.match(err.message, /cannot read .*lvis_v1_train\.json/);
});

test('a folder where the file should be is a diagnostic', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-dir-'));
  const err = await diagnosticOf(loadDataset(dir));
  assert.match(err.message, /cannot read .*: it is a folder, not a file/);
  rmSync(dir, { recursive: true });
});

test('an aborted load stops with an AbortError, one thread or two', async () => {
  const path = tempFile(docText(smallLvis(3000)));
  for (const parallel of [false, true]) {
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(loadDataset(path, { signal: ctl.signal, windowBytes: 4096, parallel }), { name: 'AbortError' });
  }
});
