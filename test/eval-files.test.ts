/**
 * The evaluator on files, as the `evaluate` step runs it (evaluateFiles: the GT through the
 * `load` machinery, the detections streamed by read-detections.ts), on the bundled sample
 * (600 val images, 7,695 GT boxes, 35,457 synthetic detections): the same numbers as the
 * evaluator on the parsed files and as the slow port of the LVIS API; the reader's columns on
 * unusual but valid JSON; and the property the pipeline relies on, through the real prune
 * functions: AP on the pruned pair is the full pair's restricted to the kept categories.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { DetectionColumns } from '../src/lvis/eval/detections.js';
import { evaluateBoxes } from '../src/lvis/eval/evaluate.js';
import { evaluateFiles, type EvaluateFilesResult } from '../src/lvis/eval/evaluate-files.js';
import { evaluationJson } from '../src/lvis/eval/evaluation-json.js';
import type { Scored } from './eval-helpers.js';
import { buildGtIndex, type EvalGt } from '../src/lvis/eval/gt-index.js';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import { readDetections } from '../src/lvis/eval/read-detections.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { keptCategoryMask } from '../src/lvis/prune/kept-categories.js';
import { pruneGt } from '../src/lvis/prune/prune-gt.js';
import { prunePreds } from '../src/lvis/prune/prune-preds.js';
import { referenceEvaluate } from './eval-reference.js';
import { rng, type GenDet, type GenGt } from './eval-gen.js';

const SAMPLE_VAL = new URL('../../data/sample/lvis_v1_val_synth.json.gz', import.meta.url).pathname;
const SAMPLE_PREDS = new URL('../../data/sample/preds_val_synth.json.gz', import.meta.url).pathname;

interface Det {
  image_id: number;
  category_id: number;
  bbox: number[];
  score: number;
}
/** The sample's GT as parsed (its records have more fields than EvalGt names). */
type LvisGt = EvalGt;

const readGz = <T>(file: string): T => JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as T;
const sampleGt = readGz<LvisGt>(SAMPLE_VAL);
const samplePreds = readGz<Det[]>(SAMPLE_PREDS);

const close = (a: number, b: number, what: string, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const meanOf = (xs: number[]) => {
  const v = xs.filter((x) => x > -1);
  return v.length === 0 ? -1 : v.reduce((s, x) => s + x, 0) / v.length;
};

describe('evaluateFiles', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-eval-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  let full: EvaluateFilesResult;

  it('on the bundled sample: the same numbers as the evaluator on the parsed files', async () => {
    full = await evaluateFiles(SAMPLE_VAL, SAMPLE_PREDS);
    const index = buildGtIndex(sampleGt);
    const expected = await evaluateBoxes(index, DetectionColumns.fromJson(index, samplePreds));
    assert.deepEqual(box(full).metrics, expected.metrics);
    assert.deepEqual(box(full).perCategory, expected.perCategory);
    assert.deepEqual(box(full).notes, expected.notes);
    assert.deepEqual(full.notes, [], 'nothing to say about the files: every image has detections, boxes only were asked for');
    assert.deepEqual(full.gt, { images: 600, annotations: 7695, evaluatedAnnotations: 7695, categories: 1203, format: 'lvis', tiersDerived: false });
    assert.equal(full.detections, samplePreds.length);
    // Real numbers, not degenerate ones: a synthetic detector between chance and perfect.
    for (const m of METRIC_NAMES) assert.ok(box(full).metrics[m] > 0.1 && box(full).metrics[m] < 0.9, `${m} ${box(full).metrics[m]}`);
  });

  it('on a slice of the sample written as indented JSON: the slow port of the LVIS API, to 1e-12', async () => {
    const images = sampleGt.images.slice(0, 150);
    const ids = new Set(images.map((im) => im.id));
    const gt: LvisGt = { ...sampleGt, images, annotations: sampleGt.annotations.filter((a) => ids.has(a.image_id)) };
    const dets = samplePreds.filter((d) => ids.has(d.image_id));
    const gtFile = file('slice-gt.json', JSON.stringify(gt, null, 2));
    const predsFile = file('slice-preds.json', `[\n${dets.map((d) => JSON.stringify(d, null, 1)).join(',\n')}\n]\n`);
    const ours = await evaluateFiles(gtFile, predsFile);
    const ref = referenceEvaluate(gt as unknown as GenGt, dets as GenDet[]);
    for (const m of METRIC_NAMES) close(box(ours).metrics[m], ref.metrics[m]!, m);
    for (const c of box(ours).perCategory) close(c.ap, ref.perCategory.get(c.id) ?? -1, `category ${c.id}`);
    assert.ok(box(ours).perCategory.filter((c) => c.ap > 0).length > 50);
  });

  it('the JSON file holds every metric under the API’s names, each category’s AP and the notes', () => {
    const doc = JSON.parse(evaluationJson(full)) as Record<string, unknown>;
    assert.equal(doc.iou_type, 'bbox');
    assert.deepEqual(Object.keys(doc.metrics as object), [...METRIC_NAMES]);
    assert.deepEqual(doc.metrics, box(full).metrics);
    assert.deepEqual(doc.per_category, box(full).perCategory);
    assert.equal((doc.per_category as unknown[]).length, 1203);
    assert.deepEqual(doc.notes, [...full.notes, ...box(full).notes]);
    assert.deepEqual(doc.gt, { images: 600, annotations: 7695, evaluated_annotations: 7695, categories: 1203, format: 'lvis', tiers_derived: false });
  });

  it('a pruned GT/detections pair (prune-gt, prune-preds) scores exactly the full pair’s APs of the kept categories', async () => {
    // No image of the sample has more than 300 detections (the cut is across categories, so
    // past it pruning changes which detections survive: eval-random.test.ts shows that case).
    const perImage = new Map<number, number>();
    for (const d of samplePreds) perImage.set(d.image_id, (perImage.get(d.image_id) ?? 0) + 1);
    assert.ok(Math.max(...perImage.values()) <= 300);
    const { dataset: val } = await loadDataset(SAMPLE_VAL);
    // Seeds 1 and 2 list only the kept categories in the pruned GT, seed 3 all of them (the
    // shipped pipeline's `list_categories: all`): the others then have no GT and no AP.
    for (const seed of [1, 2, 3]) {
      const r = rng(seed);
      const keep = Array.from(val.categories.id).filter(() => r() < 0.4);
      const gtOut = path.join(dir, `pruned-gt-${seed}.json`);
      const predsOut = path.join(dir, `pruned-preds-${seed}.json`);
      const listAllCategories = seed === 3;
      const pruned = await pruneGt(val, keptCategoryMask(val, keep, 'test'), { listAllCategories, dropEmptyImages: false, provenance: true }, gtOut);
      const s = await prunePreds(SAMPLE_PREDS, { categoryIds: new Set(keep), imageIds: new Set(Array.from(pruned.images, (i) => val.images.id[i]!)) }, predsOut);
      assert.ok(s.kept > 5000 && s.kept < samplePreds.length, `kept ${s.kept}`);
      const result = await evaluateFiles(gtOut, predsOut);
      const kept = new Set(keep);
      const part = box(result).perCategory.filter((c) => kept.has(c.id));
      if (listAllCategories) {
        assert.equal(box(result).perCategory.length, box(full).perCategory.length);
        assert.ok(box(result).perCategory.every((c) => kept.has(c.id) || c.ap === -1));
      } else assert.equal(box(result).perCategory.length, kept.size);
      const fullKept = box(full).perCategory.filter((c) => kept.has(c.id));
      assert.deepEqual(part.map((c) => c.id), fullKept.map((c) => c.id));
      for (const [i, c] of part.entries()) close(c.ap, fullKept[i]!.ap, `seed ${seed} category ${c.id}`);
      close(box(result).metrics.AP, meanOf(fullKept.map((c) => c.ap)), `seed ${seed} AP`);
      for (const [m, f] of [['APr', 'r'], ['APc', 'c'], ['APf', 'f']] as const) {
        close(box(result).metrics[m], meanOf(fullKept.filter((c) => c.frequency === f).map((c) => c.ap)), `seed ${seed} ${m}`);
      }
      assert.notEqual(box(result).metrics.AP, box(full).metrics.AP, 'a different mean: the check is not vacuous');
    }
  });

  it('with drop_empty_images, the APs differ exactly for categories that a dropped image lists as negative', async () => {
    // Such an image has no GT of the kept categories, but its detections of a category in its
    // neg_category_ids are false positives on the full pair; dropping the image drops them.
    const { dataset: val } = await loadDataset(SAMPLE_VAL);
    const keep = Array.from(val.categories.id).filter((id) => id % 5 === 0);
    const gtOut = path.join(dir, 'dropped-gt.json');
    const predsOut = path.join(dir, 'dropped-preds.json');
    const pruned = await pruneGt(val, keptCategoryMask(val, keep, 'test'), { listAllCategories: false, dropEmptyImages: true, provenance: true }, gtOut);
    await prunePreds(SAMPLE_PREDS, { categoryIds: new Set(keep), imageIds: new Set(Array.from(pruned.images, (i) => val.images.id[i]!)) }, predsOut);
    const part = await evaluateFiles(gtOut, predsOut);
    const kept = new Set(pruned.images);
    const negOfDropped = new Set<number>();
    const { offsets, values } = val.images.negCategories;
    for (let i = 0; i < val.images.count; i++) {
      if (!kept.has(i)) for (let k = offsets[i]!; k < offsets[i + 1]!; k++) negOfDropped.add(val.categories.id[values[k]!]!);
    }
    const fullAp = new Map(box(full).perCategory.map((c) => [c.id, c.ap]));
    const differing = box(part).perCategory.filter((c) => Math.abs(c.ap - fullAp.get(c.id)!) > 1e-12);
    assert.ok(pruned.images.length < val.images.count && differing.length > 0);
    for (const c of differing) {
      assert.ok(negOfDropped.has(c.id), `category ${c.id}`);
      assert.ok(c.ap > fullAp.get(c.id)!, 'fewer false positives: a higher AP');
    }
  });

  it('reads valid JSON of any layout the same as JSON.parse: member order, extra members, escapes, repeated keys, exponents, gzip, window borders', async () => {
    const index = buildGtIndex(sampleGt);
    const dets = samplePreds.slice(0, 400);
    const texts = dets.map((d, i) => {
      const bbox = `[${d.bbox.join(' ,\n ')}]`;
      switch (i % 5) {
        case 0:
          return JSON.stringify(d);
        case 1: // other members first, an unread nested value, keys in another order
          return `{ "segmentation": [[1, 2, 3.5, 4]], "id": ${i}, "extra": {"a": [1, "x\\"]", null, true], "b": [1, {"k": [2]}, 3]}, "score": ${d.score}, "bbox": ${bbox}, "category_id": ${d.category_id}, "image_id": ${d.image_id} }`;
        case 2: // a repeated key counts with its last value; an escaped key
          return `{"image_id": ${d.image_id}, "score": 0.123, "category_id": ${d.category_id}, "\\u0062box": ${bbox}, "score": ${d.score}}`;
        case 3: // exponents and signs
          return `{"image_id": ${d.image_id}e0, "category_id": ${d.category_id}, "bbox": [${d.bbox.map((v) => `${v * 100}E-2`).join(',')}], "score": ${d.score * 10}e-1}`;
        default:
          return `\n\t{\n"image_id"\n:\n${d.image_id}\r\n, "category_id": ${d.category_id}, "bbox": ${bbox}, "score": ${d.score}, "area": null}\n`;
      }
    });
    const text = `[${texts.join(',')}]`;
    const { offset: _none, ...expected } = DetectionColumns.fromJson(index, JSON.parse(text)).data();
    const plain = file('odd.json', text);
    const gz = file('odd.json.gz', gzipSync(text));
    for (const [f, windowBytes] of [[plain, undefined], [plain, 97], [gz, 64]] as const) {
      const got = await readDetections(f, index, windowBytes ? { windowBytes } : {});
      assert.equal(got.count, dets.length);
      assert.equal(got.textBytes, Buffer.byteLength(text));
      const { offset, ...data } = got.columns.data();
      assert.deepEqual(data, expected, `${path.basename(f)} window ${windowBytes}`);
      // Where each detection starts in the file, for errors found later.
      assert.deepEqual(Array.from(offset), texts.map((_, i) => Buffer.byteLength(`[${texts.slice(0, i).join(',')}${i ? ',' : ''}`) + (texts[i]!.length - texts[i]!.trimStart().length)));
    }
  });

  it('counts an image with 300 detections (detectron2’s most) once among the images with detections', async () => {
    const [a, b] = sampleGt.images;
    const gt = file('two-images-gt.json', JSON.stringify({ ...sampleGt, images: [a, b], annotations: sampleGt.annotations.filter((x) => x.image_id === a!.id || x.image_id === b!.id) }));
    const det = (image_id: number, k: number): Det => ({ image_id, category_id: sampleGt.categories[k % 50]!.id, bbox: [k % 100, 10, 20, 30], score: 1 - k / 1000 });
    const dets = [...Array.from({ length: 300 }, (_, k) => det(a!.id, k)), ...Array.from({ length: 10 }, (_, k) => det(b!.id, k))];
    const r = await evaluateFiles(gt, file('many-dets.json', JSON.stringify(dets)));
    assert.equal(r.detections, 310);
    assert.equal(r.imagesWithDetections, 2);
    assert.equal((JSON.parse(evaluationJson(r)) as { images_with_detections: number }).images_with_detections, 2);
  });

  it('predictions that cover few of the GT’s images: a warning that says so (issue 24)', async () => {
    const few = samplePreds.filter((d) => d.image_id % 10 === 0);
    const r = await evaluateFiles(SAMPLE_VAL, file('few.json', JSON.stringify(few)));
    const images = new Set(few.map((d) => d.image_id)).size;
    assert.ok(images > 10 && images < 300);
    assert.match(r.notes.join('\n'), new RegExp(`^warning: the predictions cover only ${images} of the GT's 600 images`, 'm'));
    assert.doesNotMatch(full.notes.join('\n'), /cover only/);
  });

  it('a file with no detections records no AP (not 0), and says so as a warning', async () => {
    // Issue 24: a run without predictions recorded AP 0.0000, which reads as a score.
    for (const text of ['[]', ' [ \n ] \n']) {
      const r = await evaluateFiles(SAMPLE_VAL, file('empty.json', text));
      assert.equal(r.detections, 0);
      const [e] = r.evaluations;
      assert.equal(e!.metrics, null);
      assert.ok(e!.perCategory.every((c) => c.ap === null));
      assert.match(e!.notes[0]!, /^warning: there are no detections, so there is no AP: none is recorded/);
      const doc = JSON.parse(evaluationJson(r)) as Record<string, unknown>;
      assert.equal(doc.metrics, null);
    }
  });
});

/** The box evaluation of a result, with numbers. */
function box(r: EvaluateFilesResult): Scored {
  const e = r.evaluations.find((x) => x.iouType === 'bbox');
  assert.ok(e?.metrics, 'a box evaluation with numbers');
  return e as Scored;
}
