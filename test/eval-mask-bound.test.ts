/**
 * Mask AP skips the pixel walk of a pair whose IoU cannot reach the lowest threshold, bounded
 * from the two areas and the overlap of the two boxes (mask-iou.ts). The bound must never skip a
 * pair that matches: a detection with an IoU of exactly 0.50 with its GT (where the bound is
 * exactly 0.50 too, so that an overlap one pixel short would skip it) still matches at 0.50,
 * and one at 0.45 does not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import { rleToString } from '../src/lvis/mask/rle-string.js';

const H = 30;
const W = 40;

/** Counts (column-major, as COCO's RLE) of the rectangle of columns c0..c1 and rows r0..r1, inclusive, on an H × W image. */
function rectangle(c0: number, c1: number, r0: number, r1: number): number[] {
  const counts: number[] = [];
  let pos = 0;
  for (let c = c0; c <= c1; c++) {
    const start = c * H + r0;
    counts.push(start - pos, r1 - r0 + 1);
    pos = start + r1 - r0 + 1;
  }
  counts.push(H * W - pos);
  return counts;
}

describe('mask IoU bound', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-mask-bound-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // The GT: the 10 × 10 square of columns 2..11 and rows 2..11 (100 pixels).
  const gt = path.join(dir, 'gt.json');
  writeFileSync(
    gt,
    JSON.stringify({
      images: [{ id: 7, width: W, height: H, neg_category_ids: [], not_exhaustive_category_ids: [] }],
      categories: [{ id: 1, name: 'a', frequency: 'f' }],
      annotations: [{ id: 1, image_id: 7, category_id: 1, bbox: [2, 2, 10, 10], area: 100, segmentation: { size: [H, W], counts: rectangle(2, 11, 2, 11) } }],
    }),
  );

  /** Whether the one detection matched the GT at IoU 0.50 and at 0.75 (AP50 and AP75: 1 with a match, less the API's eps, or 0). */
  async function matchedAt(counts: number[], name: string): Promise<{ at50: boolean; at75: boolean }> {
    const preds = path.join(dir, `${name}.json`);
    writeFileSync(preds, JSON.stringify([{ image_id: 7, category_id: 1, segmentation: { size: [H, W], counts: rleToString(Uint32Array.from(counts)).toString('latin1') }, score: 0.9 }]));
    const r = await evaluateFiles(gt, preds, { iouType: 'segm' });
    const m = r.evaluations[0]!.metrics!;
    for (const v of [m.AP50!, m.AP75!]) assert.ok(v === 0 || Math.abs(v - 1) < 1e-12, `AP50 and AP75 are 0 or 1, found ${m.AP50}, ${m.AP75}`);
    return { at50: m.AP50! > 0.5, at75: m.AP75! > 0.5 };
  }

  it('matches a detection with an IoU of exactly 0.50 (its left half: 50 of 100 pixels) at 0.50 and not at 0.75', async () => {
    assert.deepEqual(await matchedAt(rectangle(2, 6, 2, 11), 'half'), { at50: true, at75: false });
  });

  it('does not match one at 0.45 (45 pixels of the square)', async () => {
    assert.deepEqual(await matchedAt(rectangle(2, 6, 2, 10), 'less'), { at50: false, at75: false });
  });

  it('matches one at 0.50 that covers the square and as much again outside it (the smaller area is the GT\'s)', async () => {
    assert.deepEqual(await matchedAt(rectangle(2, 21, 2, 11), 'double'), { at50: true, at75: false });
  });
});
