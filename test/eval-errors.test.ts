/**
 * Bad input to the evaluator, as files: every bad detection (its mask too) is a DiagnosticError
 * naming the file, the line:col and byte offset of the detection, its index and its text, and
 * saying what was expected; bad JSON is located too; a GT annotation without `area` is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { displayPath } from '../src/base/display-path.js';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';

const GT = {
  images: [
    { id: 7, width: 100, height: 100, neg_category_ids: [2], not_exhaustive_category_ids: [] },
    { id: 9, width: 100, height: 100, neg_category_ids: [], not_exhaustive_category_ids: [] },
  ],
  annotations: [
    { id: 1, image_id: 7, category_id: 1, bbox: [0, 0, 10, 10], area: 100, segmentation: [[0, 0, 10, 0, 10, 10, 0, 10]] },
    { id: 2, image_id: 9, category_id: 1, bbox: [5, 5, 20, 20], area: 400, segmentation: [[5, 5, 25, 5, 25, 25, 5, 25]] },
  ],
  categories: [
    { id: 1, name: 'a', frequency: 'f' },
    { id: 2, name: 'b', frequency: 'r' },
  ],
};
const GOOD = '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9}';

describe('evaluate: bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-eval-errors-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const gtFile = write('gt.json', JSON.stringify(GT));

  /** A predictions file with one detection per line (GOOD on lines 2-3, `bad` on line 4), and the error evaluating it. */
  async function failWith(bad: string): Promise<{ err: DiagnosticError; file: string; offset: number }> {
    const text = `[\n${GOOD},\n${GOOD},\n  ${bad},\n${GOOD}\n]\n`;
    const file = write('preds.json', text);
    const err = await evaluateFiles(gtFile, file).then(
      () => assert.fail(`no error for ${bad}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DiagnosticError, String(err));
    assert.equal(err.exitCode, 1);
    return { err, file, offset: Buffer.byteLength(text.slice(0, text.indexOf(bad))) };
  }

  const cases: [string, string, RegExp][] = [
    ['an image the GT does not have', '{"image_id": 99, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}', /"image_id" 99 is not an image of the GT \(the LVIS API rejects results for images outside its GT\)/],
    ['a bbox of 3 numbers', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, 0, 10\]/],
    ['a bbox of 5 numbers', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10, 1], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, 0, 10, 10, 1\]/],
    ['a bbox with a string', '{"image_id": 7, "category_id": 1, "bbox": [0, "0", 10, 10], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, "0", 10, 10\]/],
    ['a bbox with NaN (Python writes it)', '{"image_id": 7, "category_id": 1, "bbox": [0, NaN, 10, 10], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, NaN, 10, 10\]/],
    ['a bbox that overflows to Infinity', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 1e999, 10], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, 0, Infinity, 10\]/],
    ['a bbox with -Infinity (Python writes it)', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, -Infinity], "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \[0, 0, 10, -Infinity\]/],
    ['a score of NaN (Python writes it)', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "score": NaN}', /"score" must be a finite number, found NaN/],
    ['a bbox that is not an array', '{"image_id": 7, "category_id": 1, "bbox": {"x": 0}, "score": 0.5}', /"bbox" must be 4 finite numbers \[x, y, w, h\], found \{"x": 0\}/],
    ['a negative width', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, -10, 10], "score": 0.5}', /"bbox" width and height must be >= 0/],
    ['neither bbox nor segmentation', '{"image_id": 7, "category_id": 1, "score": 0.5}', /missing "bbox" or "segmentation" \(a detection needs "image_id", "category_id", "score", and a "bbox" \[x, y, w, h\] or a "segmentation" or both\)/],
    // Masks (issue 25): the image is 100 × 100.
    ['an RLE of another size than the image', '{"image_id": 7, "category_id": 1, "segmentation": {"size": [50, 100], "counts": "0`:0"}, "score": 0.5}', /"segmentation": the RLE's "size" is \[50, 100\], but the image is \[100, 100\] \(height, width\)/],
    ['RLE counts that do not cover the image', '{"image_id": 7, "category_id": 1, "segmentation": {"size": [100, 100], "counts": [10, 5]}, "score": 0.5}', /"segmentation": the RLE's counts add up to 15 pixels, but a \[100, 100\] mask has 10000/],
    // Read in place and checked when decoded (its image has GT of its category): still located.
    ['compressed counts that do not cover the image', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": {"size": [100, 100], "counts": "05"}, "score": 0.5}', /"segmentation": the RLE's counts add up to 5 pixels, but a \[100, 100\] mask has 10000/],
    ['a character pycocotools never writes in compressed counts', '{"image_id": 7, "category_id": 1, "segmentation": {"size": [100, 100], "counts": "0~0"}, "score": 0.5}', /"segmentation": the compressed "counts" string has '~' at character 1; pycocotools writes only the characters '0' to 'o'/],
    ['compressed counts cut short', '{"image_id": 7, "category_id": 1, "segmentation": {"size": [100, 100], "counts": "0c"}, "score": 0.5}', /"segmentation": the compressed "counts" string ends in the middle of a number/],
    ['a polygon with a string', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "segmentation": [[0, 0, "x", 1, 2, 3]], "score": 0.5}', /"segmentation": polygon #0 of "segmentation" has a string at position 2; a polygon is a list of finite numbers/],
    ['a first polygon of 2 numbers', '{"image_id": 7, "category_id": 1, "segmentation": [[1, 2], [0, 0, 5, 0, 5, 5]], "score": 0.5}', /"segmentation": the first polygon of "segmentation" has 2 numbers: pycocotools cannot read it/],
    ['an RLE without size', '{"image_id": 7, "category_id": 1, "segmentation": {"counts": "0`:0"}, "score": 0.5}', /"segmentation": an RLE object needs "size": \[height, width\] and "counts"/],
    ['no score and no image_id', '{"category_id": 1, "bbox": [0, 0, 10, 10]}', /missing "image_id", "score"/],
    ['a score that is a string', '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10, 10], "score": "0.5"}', /"score" must be a number, found "0\.5"/],
    ['an id that is null', '{"image_id": null, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.5}', /"image_id" must be a number, found null/],
    ['an element that is not an object', '[7, 1, [0, 0, 10, 10], 0.5]', /expected an object \{"image_id", "category_id", "bbox", "score"\}, found \[7, 1, \[0, 0, 10, 10\], 0\.5\]/],
  ];
  for (const [what, bad, message] of cases) {
    it(`${what}: the file, line 4, the byte offset, the detection's index and text`, async () => {
      const { err, file, offset } = await failWith(bad);
      assert.equal(err.diagnostics.length, 1, err.message);
      const d = err.diagnostics[0]!;
      assert.deepEqual(d.location, { file: displayPath(file), line: 4, col: 3, offset });
      assert.match(d.message, /^detection #2: /);
      assert.match(d.message, message);
      // A short line is shown under the message with a caret; see below for a one-line file.
      assert.equal(d.sourceLine, `  ${bad},`);
      assert.ok(err.message.startsWith(`${displayPath(file)}:4:3 (byte ${offset}): detection #2: `), err.message);
    });
  }

  it('in a file on one line (as Python writes it), the detection’s text is in the message', async () => {
    const bad = '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 10], "score": 0.5}';
    const before = `[${Array.from({ length: 30 }, () => GOOD).join(', ')}, `;
    const file = write('one-line.json', `${before}${bad}, ${GOOD}]`);
    const err = await evaluateFiles(gtFile, file).catch((e: unknown) => e);
    assert.ok(err instanceof DiagnosticError);
    const d = err.diagnostics[0]!;
    assert.deepEqual(d.location, { file: displayPath(file), line: 1, col: before.length + 1, offset: before.length });
    assert.equal(d.sourceLine, undefined);
    assert.equal(d.message, `detection #30: "bbox" must be 4 finite numbers [x, y, w, h], found [0, 0, 10]\n    the detection: ${bad}`);
  });

  it('a number that is not JSON inside a bbox is located at the bad byte', async () => {
    const bad = '{"image_id": 7, "category_id": 1, "bbox": [0, 0, 1.e5, 10], "score": 0.5}';
    const { err, offset } = await failWith(bad);
    const d = err.diagnostics[0]!;
    assert.equal(d.message, "detection #2: unexpected 'e' after '.' in a number, expected a digit");
    assert.equal(d.location?.offset, offset + bad.indexOf('1.e5') + 2);
    assert.equal(d.location?.line, 4);
  });

  it('lists every bad detection in one error, the first ten, and counts the rest', async () => {
    const bad = Array.from({ length: 14 }, (_, i) => `{"image_id": ${100 + i}, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}`);
    const file = write('many.json', `[\n${[GOOD, ...bad, GOOD, '{"image_id": 7, "category_id": 1, "bbox": [1], "score": 1}'].join(',\n')}\n]`);
    const err = await evaluateFiles(gtFile, file).catch((e: unknown) => e);
    assert.ok(err instanceof DiagnosticError);
    assert.equal(err.diagnostics.length, 11);
    assert.deepEqual(err.diagnostics.slice(0, 10).map((d) => d.location?.line), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.match(err.diagnostics[0]!.message, /^detection #1: "image_id" 100 is not an image/);
    assert.match(err.diagnostics[10]!.message, /… and 5 more bad detection\(s\) \(15 in all\)/);
  });

  it('malformed JSON and a top level that is not a list: located syntax errors', async () => {
    const check = async (text: string, message: RegExp, line: number, col: number) => {
      const err = await evaluateFiles(gtFile, write('syntax.json', text)).catch((e: unknown) => e);
      assert.ok(err instanceof DiagnosticError, String(err));
      assert.match(err.message, message);
      assert.equal(err.diagnostics[0]!.location?.line, line);
      assert.equal(err.diagnostics[0]!.location?.col, col);
    };
    await check(`{"detections": [${GOOD}]}`, /expected a JSON array of detections at the top level, found an object/, 1, 1);
    await check(`[\n${GOOD},\n${GOOD}`, /the file ends inside the list of detections \(after 2 detections\): it is truncated/, 3, GOOD.length + 1);
    await check(`[\n${GOOD}\n${GOOD}]`, /expected ',' or ']'/, 3, 1);
    await check('', /expected a JSON array of detections at the top level, found an empty file/, 1, 1);
  });

  it('a GT annotation without "area" is refused, located in the GT file', async () => {
    const gt = structuredClone(GT) as { annotations: Record<string, unknown>[] };
    delete gt.annotations[1]!.area;
    const text = JSON.stringify(gt, null, 1);
    const file = write('gt-no-area.json', text);
    const err = await evaluateFiles(file, write('ok.json', `[${GOOD}]`)).catch((e: unknown) => e);
    assert.ok(err instanceof DiagnosticError, String(err));
    assert.match(err.message, /annotation #1 \(id 2\) has no "area": LVIS box evaluation sorts ground truth into small\/medium\/large by that field/);
    assert.equal(err.diagnostics[0]!.location?.file, displayPath(file));
    assert.equal(err.diagnostics[0]!.location?.offset, text.indexOf('{', text.indexOf('"id": 2')) === -1 ? undefined : text.lastIndexOf('{', text.indexOf('"id": 2')));
  });

  it('a GT file that is not LVIS (the load step’s checks): located too', async () => {
    const err = await evaluateFiles(write('bad-gt.json', '{"images": [], "annotations": [{"id": 1, "image_id": 5, "category_id": 1, "bbox": [0, 0, 1, 1], "area": 1}], "categories": []}'), write('ok2.json', '[]')).catch((e: unknown) => e);
    assert.ok(err instanceof DiagnosticError, String(err));
    assert.match(err.message, /bad-gt\.json:1:\d+.*image_id.*is 5, which is not in "images"/);
  });
});
