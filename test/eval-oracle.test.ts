/**
 * The evaluator against the real LVIS API. test/fixtures/oracle/ holds what lvis-api 7d7f07d
 * with pycocotools (pip) computed on five cases (scripts/oracle/make_goldens.py made them; see
 * its README to rerun it): the LVIS v0.5 val sample's polygons with RLE detections with and
 * without bbox and with more than 300 on an image; and small synthetic images with every
 * kind of mask (multi-part, across the border, tiny, degenerate, RLE as list and string,
 * detection polygons and boxes without mask), `ignore`, an id-0 GT, a negative area, IoU ties,
 * detections of categories the GT lacks. Every metric and every category's AP must be within
 * 1e-9 of the API's, for box and mask AP. And pycocotools' own mask outputs for random
 * polygons and boxes, which the rasteriser, merge, area, toBbox and IoU must give exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import type { SegmentationJson } from '../src/lvis/eval/segmentation-json.js';
import { newQuirks, segmentationToRle } from '../src/lvis/eval/segmentation-rle.js';
import { rleIntersection, rleIou } from '../src/lvis/mask/rle-iou.js';
import { rleArea, rleToBbox } from '../src/lvis/mask/rle-measure.js';
import { rleFrString, rleToString } from '../src/lvis/mask/rle-string.js';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const ORACLE = path.join(ROOT, 'test/fixtures/oracle');
const TOLERANCE = 1e-9;

interface Expected {
  metrics: Record<string, number>;
  per_category: Record<string, number>;
}
interface Case {
  gt: string;
  dets: string;
  detections: number;
  bbox: Expected;
  segm: Expected;
}
const goldens = JSON.parse(readFileSync(path.join(ORACLE, 'goldens.json'), 'utf8')) as { cases: Record<string, Case> };

describe('the LVIS API (lvis-api 7d7f07d, pycocotools 2.0.x): every metric and category within 1e-9', () => {
  for (const [name, c] of Object.entries(goldens.cases)) {
    for (const [iouType, gtThread] of [['bbox', 'auto'], ['segm', 'auto'], ['segm', 'always']] as const) {
      // segm twice: in one thread, and with the GT masks and the scoring shared by two (as on large GT).
      it(`${name}, ${iouType}${gtThread === 'always' ? ', two threads' : ''}`, async () => {
        const r = await evaluateFiles(path.join(ROOT, c.gt), path.join(ROOT, c.dets), { iouType, gtThread });
        assert.equal(r.detections, c.detections);
        const [e] = r.evaluations;
        assert.equal(e!.iouType, iouType);
        const expected = c[iouType];
        for (const m of METRIC_NAMES) {
          assert.ok(Math.abs(e!.metrics![m] - expected.metrics[m]!) <= TOLERANCE, `${m}: ${e!.metrics![m]} vs the API's ${expected.metrics[m]}`);
        }
        let withGt = 0;
        for (const pc of e!.perCategory) {
          const want = expected.per_category[String(pc.id)];
          if (want === undefined) assert.equal(pc.ap, -1, `category ${pc.id} has no GT in the API's evaluation`);
          else {
            withGt++;
            assert.ok(Math.abs(pc.ap! - want) <= TOLERANCE, `category ${pc.id}: ${pc.ap} vs the API's ${want}`);
          }
        }
        assert.equal(withGt, Object.keys(expected.per_category).length);
      });
    }
  }

  it('the cases hold what they are meant to test', async () => {
    const shapes = await evaluateFiles(path.join(ROOT, goldens.cases.shapes!.gt), path.join(ROOT, goldens.cases.shapes!.dets), { iouType: 'segm' });
    const notes = shapes.evaluations[0]!.notes.join('\n');
    assert.match(notes, /"ignore" set/);
    assert.match(notes, /id 0/);
    assert.match(notes, /area that is not positive/);
    assert.match(notes, /categories that the GT does not have/);
    const over = await evaluateFiles(path.join(ROOT, goldens.cases['real-lvis-v0.5-over-300']!.gt), path.join(ROOT, goldens.cases['real-lvis-v0.5-over-300']!.dets));
    assert.match(over.evaluations[0]!.notes.join('\n'), /2 image\(s\) had more than 300 detections/);
    const first = await evaluateFiles(path.join(ROOT, goldens.cases['shapes-first-without-bbox']!.gt), path.join(ROOT, goldens.cases['shapes-first-without-bbox']!.dets), { iouType: 'bbox' });
    assert.match(first.evaluations[0]!.notes.join('\n'), /first detection has no "bbox"/);
  });
});

interface MaskCase {
  kind: 'polygons' | 'boxes';
  h: number;
  w: number;
  segmentation: number[][];
  counts: string;
  area: number;
  bbox: number[];
}
const masks = JSON.parse(readFileSync(path.join(ORACLE, 'masks.json'), 'utf8')) as { masks: MaskCase[]; iou: { h: number; w: number; a: string; b: string; iou: number }[] };

describe("pycocotools' mask functions, exactly", () => {
  it(`frPyObjects + merge of ${masks.masks.length} random polygon lists and box lists (a first ring of 4 numbers), with area and toBbox`, () => {
    const bb = new Float64Array(4);
    for (const [i, m] of masks.masks.entries()) {
      const seg: SegmentationJson = { kind: 'polygons', rings: m.segmentation };
      const quirks = newQuirks();
      const mask = segmentationToRle(seg, m.h, m.w, quirks);
      assert.ok(typeof mask !== 'string', `case ${i}: ${String(mask)}`);
      assert.equal(rleToString(mask.counts).toString('latin1'), m.counts, `case ${i} (${m.kind}, ${m.h}×${m.w})`);
      assert.equal(quirks.boxLists, m.kind === 'boxes' ? 1 : 0);
      assert.equal(rleArea(mask.counts), m.area, `case ${i}: area`);
      rleToBbox(mask.counts, m.h, m.w, bb);
      assert.deepEqual([...bb], m.bbox, `case ${i}: toBbox`);
    }
  });

  it(`rleIou of ${masks.iou.length} pairs, and the compressed strings read back`, () => {
    for (const p of masks.iou) {
      const a = rleFrString(Buffer.from(p.a), 0, p.a.length)!;
      const b = rleFrString(Buffer.from(p.b), 0, p.b.length)!;
      assert.equal(rleToString(a).toString('latin1'), p.a);
      assert.equal(rleIou(a, b), p.iou, `${p.h}×${p.w}: ${p.a} vs ${p.b}`);
      // The evaluator's IoU: the intersection, over the union from the areas.
      const i = rleIntersection(a, b);
      assert.equal(i === 0 ? 0 : i / (rleArea(a) + rleArea(b) - i), p.iou);
    }
  });
});
