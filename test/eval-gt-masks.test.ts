/**
 * The GT side of mask AP (issue 25): what LVIS.ann_to_rle reads, and every GT it cannot,
 * reported with the file, line:col, byte offset and the annotation; pycocotools' "first ring of
 * 4 numbers is a box" read as the box it means, with a warning that the real API stops there;
 * a negative area left out of evaluation (as the API does) though `load` still refuses it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { displayPath } from '../src/base/display-path.js';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import { gtIndexFromDataset } from '../src/lvis/eval/gt-dataset.js';
import { readDetections } from '../src/lvis/eval/read-detections.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { rleToString } from '../src/lvis/mask/rle-string.js';

const image = { id: 7, width: 40, height: 30, neg_category_ids: [], not_exhaustive_category_ids: [] };
const category = { id: 1, name: 'a', frequency: 'f' };
const square = [[2, 2, 12, 2, 12, 12, 2, 12]];
const ann = (id: number, extra: Record<string, unknown>) => ({ id, image_id: 7, category_id: 1, bbox: [2, 2, 10, 10], area: 100, segmentation: square, ...extra });

describe('GT masks', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-gt-masks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) => {
    const p = path.join(dir, name);
    writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  // The square's pixels run down 10 columns of the 30-row image; the detection is it moved down a pixel.
  const squareCounts = [62, 10, ...Array.from({ length: 9 }, () => [20, 10]).flat(), 858];
  const shifted = [63, ...squareCounts.slice(1, -1), 857];
  const dets = write('dets.json', [{ image_id: 7, category_id: 1, bbox: [2, 3, 10, 10], segmentation: { size: [30, 40], counts: rleToString(shifted).toString('latin1') }, score: 0.9 }]);

  /** A GT file with one bad annotation on its own line (line 3), and the error scoring masks on it. */
  async function gtError(bad: Record<string, unknown>): Promise<{ err: DiagnosticError; file: string; offset: number }> {
    const badText = JSON.stringify(ann(2, bad));
    const text = `{"images": [${JSON.stringify(image)}], "categories": [${JSON.stringify(category)}], "annotations": [\n${JSON.stringify(ann(1, {}))},\n${badText}\n]}\n`;
    const file = write('gt.json', text);
    const err = await evaluateFiles(file, dets, { iouType: 'segm' }).catch((e: unknown) => e);
    assert.ok(err instanceof DiagnosticError, String(err));
    return { err, file, offset: Buffer.byteLength(text.slice(0, text.indexOf(badText))) };
  }

  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['no segmentation', { segmentation: undefined }, /annotation id=2 \(#1\): has no "segmentation": mask AP \(iou_type segm\) needs the mask of every annotation/],
    ['a polygon with a string', { segmentation: [[1, 2, 'x', 4, 5, 6]] }, /annotation id=2 \(#1\): "segmentation": polygon #0 of "segmentation" has a string at position 2/],
    ['an empty polygon list', { segmentation: [] }, /"segmentation" is an empty list; pycocotools needs a list of polygons/],
    ['an RLE of another size', { segmentation: { size: [10, 10], counts: [100] } }, /the RLE's "size" is \[10, 10\], but the image is \[30, 40\] \(height, width\)/],
    ['RLE counts that do not cover the image', { segmentation: { size: [30, 40], counts: [5, 5] } }, /the RLE's counts add up to 10 pixels, but a \[30, 40\] mask has 1200/],
    ['a compressed RLE in a list', { segmentation: [{ size: [30, 40], counts: '0`R1' }] }, /in a list, pycocotools reads only uncompressed ones/],
  ];
  for (const [what, bad, message] of cases) {
    it(`${what}: the annotation, at its file, line and byte offset`, async () => {
      const { err, file } = await gtError(bad);
      assert.equal(err.diagnostics.length, 1, err.message);
      const d = err.diagnostics[0]!;
      assert.equal(d.location?.file, displayPath(file));
      assert.equal(d.location?.line, 3);
      assert.match(d.message, message);
      // The same report when the GT masks are drawn by two threads (as on a large GT).
      const twoThreads = await evaluateFiles(file, dets, { iouType: 'segm', gtThread: 'always' }).catch((e: unknown) => e);
      assert.ok(twoThreads instanceof DiagnosticError, String(twoThreads));
      assert.deepEqual(twoThreads.diagnostics, err.diagnostics);
    });
  }

  it('a detection mask found bad while scoring is reported at its detection, with the scoring in one thread or two', async () => {
    const gt = write('gt-one.json', { images: [image], categories: [category], annotations: [ann(1, {})] });
    const text = `[\n${JSON.stringify({ image_id: 7, category_id: 1, bbox: [2, 3, 10, 10], score: 0.9, segmentation: { size: [30, 40], counts: '05' } })}\n]`;
    const bad = write('dets-bad.json', text);
    for (const gtThread of ['auto', 'always'] as const) {
      const err = await evaluateFiles(gt, bad, { iouType: 'segm', gtThread }).catch((e: unknown) => e);
      assert.ok(err instanceof DiagnosticError, String(err));
      assert.equal(err.diagnostics[0]!.location?.line, 2);
      assert.match(err.diagnostics[0]!.message, /detection #0: "segmentation": the RLE's counts add up to 5 pixels, but a \[30, 40\] mask has 1200/);
    }
  });

  it('RLE GT, as a list of counts and as a compressed string, scores as the polygon it came from', async () => {
    const asList = write('gt-list.json', { images: [image], categories: [category], annotations: [ann(1, { segmentation: { size: [30, 40], counts: squareCounts } })] });
    const asString = write('gt-string.json', { images: [image], categories: [category], annotations: [ann(1, { segmentation: { size: [30, 40], counts: rleToString(squareCounts).toString('latin1') } })] });
    const asPolygon = write('gt-poly.json', { images: [image], categories: [category], annotations: [ann(1, {})] });
    const [a, b, c] = await Promise.all([asList, asString, asPolygon].map((gt) => evaluateFiles(gt, dets, { iouType: 'segm' })));
    // IoU 90/110 = 0.818: a hit up to the .80 threshold, so AP (over .50:.95) is 7/10.
    assert.ok(Math.abs(c!.evaluations[0]!.metrics!.AP - 0.7) < 1e-9, String(c!.evaluations[0]!.metrics!.AP));
    assert.deepEqual(a!.evaluations[0]!.metrics, c!.evaluations[0]!.metrics);
    assert.deepEqual(b!.evaluations[0]!.metrics, c!.evaluations[0]!.metrics);
  });

  it('a first polygon of 4 numbers is read as a box [x, y, w, h], with a warning that the LVIS API stops there', async () => {
    const asBox = write('gt-box.json', { images: [image], categories: [category], annotations: [ann(1, { segmentation: [[2, 2, 10, 10]] })] });
    const asSquare = write('gt-square.json', { images: [image], categories: [category], annotations: [ann(1, {})] });
    const box = await evaluateFiles(asBox, dets, { iouType: 'segm' });
    const poly = await evaluateFiles(asSquare, dets, { iouType: 'segm' });
    assert.deepEqual(box.evaluations[0]!.metrics, poly.evaluations[0]!.metrics, 'the box [2, 2, 10, 10] is the square polygon');
    assert.match(box.notes.join('\n'), /^warning: 1 ground-truth annotation\(s\) have a "segmentation" whose first polygon has exactly 4 numbers.*the LVIS API stops on them/m);
    assert.doesNotMatch(poly.notes.join('\n'), /4 numbers/);
  });

  it('a negative area: `load` refuses it; the evaluator leaves the annotation out with a note, as the API does', async () => {
    const gt = write('gt-negative.json', { images: [image], categories: [category], annotations: [ann(1, {}), ann(2, { area: -5 })] });
    await assert.rejects(loadDataset(gt), /annotation id=2 \(#1\), field "area": is -5, expected a finite number ≥ 0/);
    const r = await evaluateFiles(gt, dets, { iouType: 'segm' });
    assert.equal(r.gt.evaluatedAnnotations, 1);
    assert.match(r.evaluations[0]!.notes.join('\n'), /1 ground-truth annotation\(s\) with an area that is not positive were left out, as the LVIS API does/);
  });

  it('a detection mask is kept only where GT of its category is on its image; a repeated "category_id" after the mask still counts', async () => {
    const other = { id: 2, name: 'b', frequency: 'f' };
    const gt = write('gt-two.json', { images: [image], categories: [category, other], annotations: [ann(1, {})] });
    const mask = { size: [30, 40], counts: rleToString(shifted).toString('latin1') };
    const hit = { image_id: 7, category_id: 1, bbox: [2, 3, 10, 10], score: 0.9, segmentation: mask };
    const noGt = { ...hit, category_id: 2, score: 0.8 };
    // Category 2 (no GT here) before the mask, category 1 after it: the last one counts, as in Python's json.
    const moved = `[{"image_id": 7, "category_id": 2, "bbox": [2, 3, 10, 10], "score": 0.9, "segmentation": ${JSON.stringify(mask)}, "category_id": 1}]`;
    const { dataset } = await loadDataset(gt);
    const read = await readDetections(write('dets-two.json', [hit, noGt]), await gtIndexFromDataset(dataset), { masks: { store: true, areasOfAll: false } });
    assert.equal(read.count, 2);
    assert.equal(read.masks.store.count, 1, 'only the mask of the detection with GT of its category is kept');
    const plain = await evaluateFiles(gt, write('dets-hit.json', [hit]), { iouType: 'segm' });
    const repeated = await evaluateFiles(gt, write('dets-moved.json', moved), { iouType: 'segm' });
    assert.ok(Math.abs(plain.evaluations[0]!.metrics!.AP - 0.7) < 1e-9, String(plain.evaluations[0]!.metrics!.AP));
    assert.deepEqual(repeated.evaluations[0]!.metrics, plain.evaluations[0]!.metrics);
  });
});
