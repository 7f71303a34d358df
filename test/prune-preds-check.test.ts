/**
 * prune-preds checks every detection, kept or dropped, as the evaluator would (issue 24, item 11): a
 * negative width, a score that is not a number, a mask that is not one of the image's size
 * (issue 25) stop it with the user's file, the line:col and byte offset, and the detection's
 * index in that file, and no pruned file is written. On both of its paths (the fast scan and
 * the exact one), and through the pipeline, where the evaluate step used to report such a
 * detection at a pruned copy in the cache. Its masks are copied byte for byte.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { displayPath } from '../src/base/display-path.js';
import { prunePreds } from '../src/lvis/prune/prune-preds.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';
import { tempDir } from './write-prune-context.js';

const ORACLE = new URL('../../test/fixtures/oracle/', import.meta.url).pathname;
const registry = new StepRegistry(STEP_MODULES, { moduleUrl: new URL('../src/steps/index.js', import.meta.url).href, exportName: 'STEP_MODULES' });

/** The oracle's synthetic GT: small images of various sizes. */
const gt = JSON.parse(readFileSync(path.join(ORACLE, 'cases/shapes.gt.json'), 'utf8')) as { images: { id: number; height: number; width: number }[] };
const image = gt.images[0]!;
const size = new Map(gt.images.map((i) => [i.id, { h: i.height, w: i.width }]));
const good = (id: number) => `{"image_id": ${id}, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.5}`;
const bad: [string, string, RegExp][] = [
  ['a negative width', `{"image_id": ${image.id}, "category_id": 1, "bbox": [1, 1, -5, 5], "score": 0.5}`, /"bbox" width and height must be >= 0, found \[1, 1, -5, 5\]/],
  ['a score that is a word', `{"image_id": ${image.id}, "category_id": 1, "bbox": [1, 1, 5, 5], "score": "high"}`, /"score" must be a number, found "high"/],
  [
    'a mask of another size than the image',
    `{"image_id": ${image.id}, "category_id": 1, "segmentation": {"size": [7, 7], "counts": [49]}, "score": 0.5}`,
    new RegExp(`"segmentation": the RLE's "size" is \\[7, 7\\], but the image is \\[${image.height}, ${image.width}\\]`),
  ],
  ['compressed counts that do not cover the image', `{"image_id": ${image.id}, "category_id": 1, "segmentation": {"size": [${image.height}, ${image.width}], "counts": "05"}, "score": 0.5}`, /"segmentation": the RLE's counts add up to 5 pixels/],
];
const filter = { categoryIds: new Set([1]), imageIds: new Set(gt.images.map((i) => i.id)), imageSizes: (id: number) => size.get(id) };

describe('prune-preds checks every detection', () => {
  for (const [what, text, message] of bad) {
    // An id written as 3.0 sends prune-preds down its exact path.
    for (const [pathName, first] of [['fast', good(image.id)], ['exact', `{"image_id": ${image.id}.0, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.5}`]] as const) {
      it(`${what} (${pathName} path): the user's file, line:col, byte offset and index; no pruned file`, async () => {
        const dir = tempDir();
        const file = path.join(dir, 'preds.json');
        const lines = [first, good(999999), good(image.id), text, good(image.id)];
        writeFileSync(file, `[\n${lines.join(',\n')}\n]\n`);
        const out = path.join(dir, 'pruned.json');
        const err = await prunePreds(file, filter, out).catch((e: unknown) => e);
        assert.ok(err instanceof DiagnosticError, String(err));
        assert.equal(err.diagnostics.length, 1, err.message);
        const d = err.diagnostics[0]!;
        const offset = Buffer.byteLength(`[\n${lines.slice(0, 3).join(',\n')},\n`);
        assert.deepEqual(d.location, { file: displayPath(file), line: 5, col: 1, offset });
        assert.match(d.message, /^detection #3: /);
        assert.match(d.message, message);
        assert.equal(existsSync(out), false);
      });
    }
  }

  // Probe 2: a bad detection of a dropped image or category passed unseen, so a file the LVIS API
  // refuses whole came out of prune-preds as if it were sound.
  for (const [why, dropped] of [
    ['of an image the pruned GT lacks', `{"image_id": 999999, "category_id": 1, "bbox": [1, 1, -5, 5], "score": 0.5}`],
    ['of a category not kept', `{"image_id": ${image.id}, "category_id": 77, "bbox": [1, 1, 5, 5], "score": "high"}`],
  ] as const) {
    for (const [pathName, first] of [['fast', good(image.id)], ['exact', `{"image_id": ${image.id}.0, "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.5}`]] as const) {
      it(`a bad detection ${why} is reported too, though it would be dropped (${pathName} path)`, async () => {
        const dir = tempDir();
        const file = path.join(dir, 'preds.json');
        writeFileSync(file, `[${first}, ${dropped}]`);
        const out = path.join(dir, 'pruned.json');
        const err = await prunePreds(file, filter, out).catch((e: unknown) => e);
        assert.ok(err instanceof DiagnosticError, String(err));
        assert.equal(err.diagnostics.length, 1, err.message);
        assert.match(err.diagnostics[0]!.message, /^detection #1: "(bbox" width and height must be >= 0|score" must be a number)/);
        assert.equal(err.diagnostics[0]!.location?.offset, `[${first}, `.length);
        assert.equal(existsSync(out), false);
      });
    }
  }

  it('keeps every mask byte for byte: compressed counts with escapes, uncompressed counts, polygons', async () => {
    const dir = tempDir();
    const dets = readFileSync(path.join(ORACLE, 'cases/shapes.dets.json'), 'utf8');
    const texts = dets.trim().slice(2, -2).split('},\n{').map((t, i, all) => (i === 0 ? '' : '{') + t + (i === all.length - 1 ? '' : '}'));
    const withMasks = texts.filter((t) => t.includes('"segmentation"'));
    assert.ok(withMasks.some((t) => t.includes('\\\\')) && withMasks.some((t) => /"counts": \[/.test(t)) && withMasks.some((t) => /"segmentation": \[\[/.test(t)), 'the three forms, and an escaped backslash');
    const file = path.join(dir, 'preds.json');
    writeFileSync(file, dets);
    const out = path.join(dir, 'pruned.json');
    const known = new Set([1, 2, 3, 4, 5]); // the GT's categories: the others' detections are dropped
    const s = await prunePreds(file, { ...filter, categoryIds: known }, out);
    const kept = JSON.parse(readFileSync(out, 'utf8')) as unknown[];
    assert.equal(kept.length, s.kept);
    const original = (JSON.parse(dets) as { category_id: number }[]).filter((d) => known.has(d.category_id));
    assert.deepEqual(kept, original);
    for (const t of withMasks.filter((x) => known.has(Number(/"category_id": (\d+)/.exec(x)![1])))) assert.ok(readFileSync(out, 'utf8').includes(t), t.slice(0, 80));
  });
});

describe('the shipped pipeline with a bad detection', () => {
  it('fails at prune_preds, at the user’s file and the detection’s index there (not at a pruned copy in the cache)', async () => {
    const ws = new Workspace();
    try {
      mkdirSync(ws.path('data'));
      const val = readFileSync(new URL('../../data/sample/lvis_v1_val_synth.json.gz', import.meta.url));
      writeFileSync(ws.path('data/val.json.gz'), val);
      const { gunzipSync } = await import('node:zlib');
      const img = (JSON.parse(gunzipSync(val).toString('utf8')) as { images: { id: number }[]; annotations: { image_id: number; category_id: number }[] }).annotations[0]!;
      const second = `{"image_id": ${img.image_id}, "category_id": ${img.category_id}, "bbox": [0, 0, -10, 10], "score": 0.5}`;
      const text = `[{"image_id": ${img.image_id}, "category_id": ${img.category_id}, "bbox": [0, 0, 10, 10], "score": 0.9},\n ${second}]\n`;
      ws.write('data/preds.json', text);
      ws.write(
        'p.yaml',
        `steps:
  val: { type: load, options: { path: data/val.json.gz } }
  prune_val: { type: prune-gt, inputs: { gt: val }, options: { out: out/val.json, categories: [${img.category_id}] } }
  prune_preds: { type: prune-preds, inputs: { images: prune_val.images, kept: prune_val.kept }, options: { path: data/preds.json, out: out/preds.json } }
  evaluate: { type: evaluate, inputs: { gt: prune_val.gt, preds: prune_preds.preds }, options: { out: out/eval.json } }
`,
      );
      const r = await runCli(['run', 'p.yaml'], { cwd: ws.dir, registry });
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, /prune_preds/);
      const at = `data/preds.json:2:2 (byte ${text.indexOf(second)}): detection #1: "bbox" width and height must be >= 0`;
      assert.ok((r.stdout + r.stderr).includes(at), r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /objects\//);
      assert.equal(existsSync(ws.path('out/preds.json')), false);
    } finally {
      ws.remove();
    }
  });
});
