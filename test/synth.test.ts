import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DiagnosticError } from '../src/base/diagnostic.js';
import {
  LVIS_V1_TRAIN_ANNOTATIONS,
  LVIS_V1_TRAIN_IMAGES,
  lvisV1Categories,
  readCategoryMetadata,
} from '../src/lvis/dataset/lvis-categories.js';
import { generateSynthLvis, planSynthSplits, synthFileNames, type SynthOptions } from '../src/lvis/synth/synth.js';
import { MODEL } from '../src/lvis/synth/model.js';
import { MAX_DETECTIONS_PER_IMAGE } from '../src/lvis/synth/preds.js';
import { rmSync } from 'node:fs';

const tempDirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'lvis-synth-'));
  tempDirs.push(d);
  return d;
}
after(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function generate(dir: string, o: Partial<SynthOptions> = {}) {
  const options: SynthOptions = { seed: 3, trainImages: 400, valImages: 80, preds: true, gzip: false, polygonDetail: 1, ...o };
  const names = synthFileNames(options.gzip);
  const paths = { train: path.join(dir, names.train), val: path.join(dir, names.val), preds: path.join(dir, names.preds) };
  const summary = await generateSynthLvis(options, paths);
  return { options, paths, summary };
}

type Json = any;

describe('vendored LVIS v1 category metadata', () => {
  test('has the 1203 LVIS v1 categories with the published tier sizes and train totals', () => {
    const cats = lvisV1Categories();
    assert.equal(cats.length, 1203);
    const byTier = { f: 0, c: 0, r: 0 };
    let instances = 0;
    for (const c of cats) {
      byTier[c.frequency]++;
      instances += c.instance_count;
      // LVIS's rule: rare 1–10 images, common 11–100, frequent > 100.
      const expected = c.image_count <= 10 ? 'r' : c.image_count <= 100 ? 'c' : 'f';
      assert.equal(c.frequency, expected, `category ${c.id}`);
    }
    assert.deepEqual(byTier, { f: 405, c: 461, r: 337 });
    assert.equal(instances, LVIS_V1_TRAIN_ANNOTATIONS);
    assert.deepEqual(
      cats.map((c) => c.id),
      cats.map((_, i) => i + 1),
    );
  });

  test('a malformed metadata file is reported with the record id and field', () => {
    const dir = tempDir();
    const file = path.join(dir, 'cats.json');
    const good = { id: 1, name: 'a', synset: 'a.n.01', frequency: 'r', image_count: 1, instance_count: 2, def: 'x', synonyms: ['a'] };
    writeFileSync(file, JSON.stringify([good, { ...good, id: 2, frequency: 'x' }, { ...good, id: 1 }, { ...good, id: 3, instance_count: 0 }]));
    assert.throws(
      () => readCategoryMetadata(file),
      (err: unknown) => {
        assert.ok(err instanceof DiagnosticError);
        const messages = err.diagnostics.map((d) => d.message);
        assert.ok(messages.some((m) => m.includes('category id 2') && m.includes('`frequency`')), messages.join('\n'));
        assert.ok(messages.some((m) => m.includes('category id 1') && m.includes('duplicate id')), messages.join('\n'));
        assert.ok(messages.some((m) => m.includes('category id 3') && m.includes('`instance_count`')), messages.join('\n'));
        assert.equal(err.diagnostics[0]!.location?.file, file);
        return true;
      },
    );
    writeFileSync(file, '{"not": "a list"}');
    assert.throws(() => readCategoryMetadata(file), /expected a JSON list/);
    writeFileSync(file, '[{"id": 1,');
    assert.throws(() => readCategoryMetadata(file), DiagnosticError);
  });
});

describe('synthetic LVIS files at small scale', () => {
  let train: Json, val: Json, preds: Json[], trainText: string;
  let run: Awaited<ReturnType<typeof generate>>;
  before(async () => {
    run = await generate(tempDir());
    trainText = readFileSync(run.paths.train, 'utf8');
    train = JSON.parse(trainText);
    val = JSON.parse(readFileSync(run.paths.val, 'utf8'));
    preds = JSON.parse(readFileSync(run.paths.preds, 'utf8'));
  });

  test('has the LVIS v1 top-level members, record fields and key order', () => {
    for (const file of [train, val]) {
      assert.deepEqual(Object.keys(file), ['info', 'licenses', 'images', 'annotations', 'categories']);
      assert.equal(typeof file.info.description, 'string');
      assert.equal(file.licenses.length, 8);
      for (const img of file.images) {
        assert.deepEqual(Object.keys(img), [
          'date_captured',
          'neg_category_ids',
          'id',
          'license',
          'height',
          'width',
          'flickr_url',
          'coco_url',
          'not_exhaustive_category_ids',
        ]);
        assert.match(img.date_captured, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        assert.ok(Number.isInteger(img.id) && img.id > 0);
        assert.ok(Number.isInteger(img.license) && img.license >= 1 && img.license <= 8);
        assert.ok(Number.isInteger(img.width) && img.width > 0 && Number.isInteger(img.height) && img.height > 0);
        assert.ok(Math.max(img.width, img.height) <= 640);
        assert.match(img.flickr_url, /^http:\/\/farm\d\.staticflickr\.com\/\d+\/\d+_[0-9a-f]{10}_z\.jpg$/);
        assert.equal(img.coco_url, `http://images.cocodataset.org/${file === train ? 'train2017' : 'val2017'}/${String(img.id).padStart(12, '0')}.jpg`);
        assert.ok(img.neg_category_ids.every(Number.isInteger));
        assert.ok(img.not_exhaustive_category_ids.every(Number.isInteger));
      }
      for (const a of file.annotations) {
        assert.deepEqual(Object.keys(a), ['area', 'id', 'segmentation', 'image_id', 'bbox', 'category_id']);
        assert.ok(Number.isInteger(a.id) && Number.isInteger(a.image_id) && Number.isInteger(a.category_id));
        assert.equal(typeof a.area, 'number');
        assert.equal(a.bbox.length, 4);
        assert.ok(a.segmentation.length >= 1 && a.segmentation.length <= 3);
        for (const poly of a.segmentation) {
          assert.ok(poly.length >= 8 && poly.length % 2 === 0, `annotation ${a.id}: polygon of ${poly.length} numbers`);
        }
      }
      for (const c of file.categories) {
        assert.deepEqual(Object.keys(c), ['id', 'name', 'synset', 'frequency', 'image_count', 'instance_count', 'def', 'synonyms']);
      }
    }
  });

  test('is written like the real files: one line, Python separators, floats with at most 2 decimals', () => {
    assert.ok(!trainText.includes('\n'));
    assert.ok(trainText.startsWith('{"info": {'));
    const segment = trainText.slice(trainText.indexOf('"annotations": ['), trainText.indexOf('"categories": ['));
    const numbers = segment.match(/-?\d+(\.\d+)?(?=[,\]}])/g)!;
    assert.ok(numbers.length > 10000);
    for (const n of segment.match(/"segmentation": \[\[[^\]]*\]/g)!.slice(0, 200)) {
      for (const v of n.slice('"segmentation": [['.length, -1).split(', ')) assert.match(v, /^\d+\.\d{1,2}$/);
    }
    for (const b of segment.match(/"bbox": \[[^\]]*\]/g)!) {
      for (const v of b.slice('"bbox": ['.length, -1).split(', ')) assert.match(v, /^\d+\.\d{1,2}$/);
    }
  });

  test('uses the real categories, with counts that match the file', () => {
    const meta = lvisV1Categories();
    for (const file of [train, val]) {
      assert.equal(file.categories.length, 1203);
      const images = new Map<number, Set<number>>();
      const instances = new Map<number, number>();
      for (const a of file.annotations) {
        if (!images.has(a.category_id)) images.set(a.category_id, new Set());
        images.get(a.category_id)!.add(a.image_id);
        instances.set(a.category_id, (instances.get(a.category_id) ?? 0) + 1);
      }
      file.categories.forEach((c: Json, i: number) => {
        assert.equal(c.id, meta[i]!.id);
        assert.equal(c.name, meta[i]!.name);
        assert.equal(c.frequency, meta[i]!.frequency);
        assert.equal(c.synset, meta[i]!.synset);
        assert.equal(c.image_count, images.get(c.id)?.size ?? 0, `category ${c.id} image_count`);
        assert.equal(c.instance_count, instances.get(c.id) ?? 0, `category ${c.id} instance_count`);
      });
    }
    const tiers = { f: 0, c: 0, r: 0 } as Record<string, number>;
    for (const c of train.categories) tiers[c.frequency]!++;
    assert.deepEqual(tiers, { f: 405, c: 461, r: 337 });
  });

  test('geometry: bbox inside the image and equal to the polygon extent; 0 < area ≤ w·h', () => {
    for (const file of [train, val]) {
      const size = new Map<number, [number, number]>(file.images.map((i: Json) => [i.id, [i.width, i.height]]));
      for (const a of file.annotations) {
        const [W, H] = size.get(a.image_id)!;
        const [x, y, w, h] = a.bbox;
        assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0, `annotation ${a.id}: bbox ${a.bbox}`);
        assert.ok(x + w <= W + 1e-9 && y + h <= H + 1e-9, `annotation ${a.id}: bbox ${a.bbox} outside ${W}×${H}`);
        const xs = a.segmentation.flatMap((p: number[]) => p.filter((_, k) => k % 2 === 0));
        const ys = a.segmentation.flatMap((p: number[]) => p.filter((_, k) => k % 2 === 1));
        assert.ok(Math.abs(Math.min(...xs) - x) < 1e-6 && Math.abs(Math.max(...xs) - (x + w)) < 1e-6, `annotation ${a.id}: x extent`);
        assert.ok(Math.abs(Math.min(...ys) - y) < 1e-6 && Math.abs(Math.max(...ys) - (y + h)) < 1e-6, `annotation ${a.id}: y extent`);
        assert.ok(a.area > 0 && a.area <= w * h + 1e-9, `annotation ${a.id}: area ${a.area} vs ${w}×${h}`);
        // area is the polygons' shoelace area (truncated to 2 decimals).
        let shoelace = 0;
        for (const p of a.segmentation) {
          let twice = 0;
          for (let k = 0; k < p.length; k += 2) {
            const j = (k + 2) % p.length;
            twice += p[k] * p[j + 1] - p[j] * p[k + 1];
          }
          shoelace += Math.abs(twice) / 2;
        }
        assert.ok(Math.abs(shoelace - a.area) < 0.011 + 1e-9 * shoelace, `annotation ${a.id}: area ${a.area} vs shoelace ${shoelace}`);
      }
    }
  });

  test('negatives are absent categories; not-exhaustive ones are present; some images are empty and kept', () => {
    for (const file of [train, val]) {
      const known = new Set(file.categories.map((c: Json) => c.id));
      const present = new Map<number, Set<number>>();
      for (const a of file.annotations) {
        if (!present.has(a.image_id)) present.set(a.image_id, new Set());
        present.get(a.image_id)!.add(a.category_id);
      }
      let negatives = 0;
      let notExhaustive = 0;
      for (const img of file.images) {
        const mine = present.get(img.id) ?? new Set();
        assert.equal(new Set(img.neg_category_ids).size, img.neg_category_ids.length, `image ${img.id}: duplicate negatives`);
        for (const c of img.neg_category_ids) {
          assert.ok(known.has(c));
          assert.ok(!mine.has(c), `image ${img.id}: negative category ${c} is present`);
        }
        for (const c of img.not_exhaustive_category_ids) assert.ok(mine.has(c), `image ${img.id}: not-exhaustive ${c} absent`);
        negatives += img.neg_category_ids.length;
        notExhaustive += img.not_exhaustive_category_ids.length;
      }
      assert.ok(negatives > file.images.length, 'images carry negatives');
      if (file === train) {
        assert.ok(notExhaustive > 0);
        const empty = file.images.filter((i: Json) => !present.has(i.id)).length;
        assert.equal(empty, Math.round(file.images.length * MODEL.emptyImageFraction));
      }
    }
  });

  test('ids: image ids unique and disjoint between train and val; annotation ids unique across both', () => {
    const trainIds = new Set(train.images.map((i: Json) => i.id));
    const valIds = new Set(val.images.map((i: Json) => i.id));
    assert.equal(trainIds.size, 400);
    assert.equal(valIds.size, 80);
    for (const id of valIds) assert.ok(!trainIds.has(id), `image id ${id} in both`);
    const annIds = [...train.annotations, ...val.annotations].map((a: Json) => a.id);
    assert.equal(new Set(annIds).size, annIds.length);
    for (const a of train.annotations) assert.ok(trainIds.has(a.image_id));
    for (const a of val.annotations) assert.ok(valIds.has(a.image_id));
    assert.equal(run.summary.train.records, train.annotations.length);
    assert.equal(run.summary.val!.records, val.annotations.length);
  });

  test('predictions: LVIS results format on val images and known categories, ≤ 300 per image, best first', () => {
    const images = new Map<number, Json>(val.images.map((i: Json) => [i.id, i]));
    const known = new Set(val.categories.map((c: Json) => c.id));
    const perImage = new Map<number, number[]>();
    for (const d of preds) {
      assert.deepEqual(Object.keys(d), ['image_id', 'category_id', 'bbox', 'score']);
      const img = images.get(d.image_id);
      assert.ok(img, `detection on unknown image ${d.image_id}`);
      assert.ok(known.has(d.category_id));
      assert.ok(d.score > 0 && d.score <= 1);
      const [x, y, w, h] = d.bbox;
      assert.ok(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= img.width + 1e-9 && y + h <= img.height + 1e-9, `bbox ${d.bbox}`);
      if (!perImage.has(d.image_id)) perImage.set(d.image_id, []);
      perImage.get(d.image_id)!.push(d.score);
    }
    assert.equal(run.summary.preds!.records, preds.length);
    for (const [id, scores] of perImage) {
      assert.ok(scores.length <= MAX_DETECTIONS_PER_IMAGE, `image ${id}: ${scores.length} detections`);
      for (let k = 1; k < scores.length; k++) assert.ok(scores[k - 1]! >= scores[k]!, `image ${id}: not sorted by score`);
    }
    // Detections of an image come together, in the val file's image order.
    const order = [...new Set(preds.map((d) => d.image_id))];
    const fileOrder = val.images.map((i: Json) => i.id).filter((id: number) => perImage.has(id));
    assert.deepEqual(order, fileOrder);
    assert.ok(preds.length / val.images.length > 30, 'tens of detections per image');
  });
});

describe('determinism and files', () => {
  test('the same seed gives byte-identical files; another seed gives other files', async () => {
    const a = await generate(tempDir(), { trainImages: 150, valImages: 30 });
    const b = await generate(tempDir(), { trainImages: 150, valImages: 30 });
    const c = await generate(tempDir(), { trainImages: 150, valImages: 30, seed: 4 });
    for (const k of ['train', 'val', 'preds'] as const) {
      assert.equal(sha256(readFileSync(a.paths[k])), sha256(readFileSync(b.paths[k])), k);
      assert.notEqual(sha256(readFileSync(a.paths[k])), sha256(readFileSync(c.paths[k])), k);
    }
  });

  test('the val file does not depend on whether predictions are written', async () => {
    const dir = tempDir();
    const names = synthFileNames(false);
    const options: SynthOptions = { seed: 9, trainImages: 100, valImages: 40, preds: false, gzip: false, polygonDetail: 1 };
    await generateSynthLvis(options, { train: path.join(dir, 'a-train.json'), val: path.join(dir, 'a-val.json') });
    const withPreds = await generate(tempDir(), { seed: 9, trainImages: 100, valImages: 40 });
    assert.equal(sha256(readFileSync(path.join(dir, 'a-val.json'))), sha256(readFileSync(withPreds.paths.val)));
    assert.deepEqual(readdirSync(dir).sort(), ['a-train.json', 'a-val.json']);
    assert.ok(names.preds.endsWith('.json'));
  });

  test('gzip output decompresses to exactly the plain output', async () => {
    const plain = await generate(tempDir(), { trainImages: 120, valImages: 25 });
    const gz = await generate(tempDir(), { trainImages: 120, valImages: 25, gzip: true });
    for (const k of ['train', 'val', 'preds'] as const) {
      assert.ok(gz.paths[k].endsWith('.json.gz'));
      const bytes = readFileSync(gz.paths[k]);
      assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b]);
      assert.equal(sha256(gunzipSync(bytes)), sha256(readFileSync(plain.paths[k])), k);
      assert.equal(gz.summary[k]!.textBytes, readFileSync(plain.paths[k]).length);
    }
  });

  test('polygon detail changes the vertex count, not the plan', async () => {
    const fine = await generate(tempDir(), { trainImages: 100, valImages: 20, polygonDetail: 1 });
    const coarse = await generate(tempDir(), { trainImages: 100, valImages: 20, polygonDetail: 0.3 });
    const f = JSON.parse(readFileSync(fine.paths.train, 'utf8'));
    const c = JSON.parse(readFileSync(coarse.paths.train, 'utf8'));
    const points = (d: Json) => d.annotations.reduce((s: number, a: Json) => s + a.segmentation.flat().length, 0);
    assert.ok(points(c) < 0.5 * points(f));
    assert.deepEqual(
      c.annotations.map((a: Json) => [a.image_id, a.category_id]),
      f.annotations.map((a: Json) => [a.image_id, a.category_id]),
    );
    assert.deepEqual(c.images, f.images);
  });

  test('an aborted generation leaves no file behind', async () => {
    const dir = tempDir();
    const controller = new AbortController();
    const progress = { start() {}, update: () => controller.abort(), done() {} };
    const options: SynthOptions = { seed: 1, trainImages: 3000, valImages: 10, preds: true, gzip: false, polygonDetail: 1 };
    const names = synthFileNames(false);
    await assert.rejects(
      generateSynthLvis(options, { train: path.join(dir, names.train), val: path.join(dir, names.val) }, { progress, signal: controller.signal }),
      (err: Error) => err.name === 'AbortError',
    );
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('distributions at moderate scale (plan only)', () => {
  const trainImages = 20_000;
  const scale = trainImages / LVIS_V1_TRAIN_IMAGES;
  const { model, train } = planSynthSplits({ seed: 11, trainImages, valImages: 0 });
  const meta = model.meta;

  test('per-category image and instance counts follow LVIS v1 train, scaled', () => {
    const expected = meta.map((m) => m.image_count * scale);
    const got = Array.from(train.categoryImageCount);
    assert.ok(pearson(expected, got) > 0.99, `image-count correlation ${pearson(expected, got)}`);
    const expectedInst = meta.map((m) => m.instance_count * scale);
    const gotInst = Array.from(train.categoryInstanceCount);
    assert.ok(pearson(expectedInst, gotInst) > 0.97, `instance-count correlation ${pearson(expectedInst, gotInst)}`);
    const total = gotInst.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total / (LVIS_V1_TRAIN_ANNOTATIONS * scale) - 1) < 0.03, `annotations ${total}`);
    // Per tier, the image slots are within a few percent of the scaled LVIS totals.
    for (const tier of ['f', 'c', 'r'] as const) {
      let e = 0,
        g = 0;
      meta.forEach((m, c) => {
        if (m.frequency === tier) (e += expected[c]!, g += got[c]!);
      });
      assert.ok(Math.abs(g / e - 1) < 0.08, `tier ${tier}: ${g} image slots, expected ${e.toFixed(0)}`);
    }
    // A rare category seen in 1 image at full scale shows up in about `scale` of the cases.
    const singles = meta.map((m, c) => [m.image_count, got[c]!] as const).filter(([n]) => n === 1);
    const shown = singles.filter(([, g]) => g > 0).length / singles.length;
    assert.ok(singles.length > 50 && shown > scale / 2 && shown < scale * 2, `${shown} of single-image categories shown`);
  });

  test('per-image counts are long-tailed around LVIS means', () => {
    const N = train.imageCount;
    const { offsets, instances } = train.pairs;
    const annotations: number[] = [];
    const categories: number[] = [];
    for (let i = 0; i < N; i++) {
      let n = 0;
      for (let p = offsets[i]!; p < offsets[i + 1]!; p++) n += instances[p]!;
      annotations.push(n);
      categories.push(offsets[i + 1]! - offsets[i]!);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean(annotations) - LVIS_V1_TRAIN_ANNOTATIONS / LVIS_V1_TRAIN_IMAGES) < 0.6, `mean ${mean(annotations)}`);
    assert.ok(Math.abs(mean(categories) - 3.6) < 0.2, `mean categories ${mean(categories)}`);
    const sorted = annotations.slice().sort((a, b) => a - b);
    assert.ok(sorted[Math.floor(N / 2)]! < mean(annotations), 'median below mean (right tail)');
    assert.ok(sorted.filter((n) => n >= 100).length > 20, 'some images have 100+ annotations');
    assert.ok(categories.filter((n) => n === 1).length > categories.filter((n) => n === 5).length);
  });

  test('categories co-occur by topic, far above independence', () => {
    const { offsets, category } = train.pairs;
    const T = MODEL.topics;
    const slotsByTopic = new Float64Array(T);
    let sameTopic = 0,
      pairs = 0;
    for (let i = 0; i < train.imageCount; i++) {
      for (let p = offsets[i]!; p < offsets[i + 1]!; p++) {
        slotsByTopic[model.topic[category[p]!]!]!++;
        for (let q = p + 1; q < offsets[i + 1]!; q++) {
          pairs++;
          if (model.topic[category[p]!] === model.topic[category[q]!]) sameTopic++;
        }
      }
    }
    const totalSlots = slotsByTopic.reduce((a, b) => a + b, 0);
    const independent = slotsByTopic.reduce((s, n) => s + (n / totalSlots) ** 2, 0);
    assert.ok(sameTopic / pairs > 4 * independent, `same-topic share ${sameTopic / pairs} vs ${independent} if independent`);
  });
});

describe('distributions at full scale (plan only)', () => {
  test('every category shows in exactly its LVIS v1 train image_count; instances within 0.1%', () => {
    const { model, train } = planSynthSplits({ seed: 1, trainImages: LVIS_V1_TRAIN_IMAGES, valImages: 0 });
    model.meta.forEach((m, c) => assert.equal(train.categoryImageCount[c], m.image_count, m.name));
    let deviation = 0;
    model.meta.forEach((m, c) => (deviation += Math.abs(train.categoryInstanceCount[c]! - m.instance_count)));
    assert.ok(deviation / LVIS_V1_TRAIN_ANNOTATIONS < 0.001, `instance counts off by ${deviation}`);
    assert.ok(Math.abs(train.annotationCount - LVIS_V1_TRAIN_ANNOTATIONS) < 1000);
  });
});

function pearson(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n,
    my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
