/**
 * `lvis-pipe evaluate GT PREDS [--iou-type bbox|segm] [--out FILE]` (issue 25): the numbers of
 * the LVIS API on an oracle case, box and mask side by side in the printed table; the same
 * JSON file as the `evaluate` step writes for the same files; plain, .gz and .zip inputs; located
 * errors and a non-zero exit on bad input; usage errors; never writing over an input.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { runCli, Workspace } from './helpers/runner-fixture.js';
import { zipOf } from './helpers/zip-writer.js';

const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const ORACLE = path.join(ROOT, 'test/fixtures/oracle');
const registry = new StepRegistry(STEP_MODULES, { moduleUrl: new URL('../src/steps/index.js', import.meta.url).href, exportName: 'STEP_MODULES' });
const goldens = JSON.parse(readFileSync(path.join(ORACLE, 'goldens.json'), 'utf8')) as {
  cases: Record<string, Record<'bbox' | 'segm', { metrics: Record<string, number>; per_category: Record<string, number> }>>;
};
const shapes = goldens.cases.shapes!;

type Doc = { iou_type: string; metrics: Record<string, number> | null; per_category: { id: number; ap: number }[]; notes: string[] };

describe('lvis-pipe evaluate', () => {
  let ws: Workspace;
  const cli = (args: string[]) => runCli(args, { cwd: ws.dir, registry });
  before(() => {
    ws = new Workspace();
    copyFileSync(path.join(ORACLE, 'cases/shapes.gt.json'), ws.path('gt.json'));
    writeFileSync(ws.path('dets.json.gz'), gzipSync(readFileSync(path.join(ORACLE, 'cases/shapes.dets.json'))));
  });
  after(() => ws.remove());

  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: ${a} vs the API's ${b}`);

  it('prints box and mask AP side by side and writes them as JSON: the LVIS API’s numbers', async () => {
    const r = await cli(['evaluate', 'gt.json', 'dets.json.gz', '--out', 'out/eval.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^metric +box \(bbox\) +mask \(segm\)/m);
    const apRow = r.stdout.split('\n').find((l) => l.startsWith('AP '))!;
    assert.deepEqual(apRow.split(/\s+/).slice(1, 3), [shapes.bbox.metrics.AP!.toFixed(4), shapes.segm.metrics.AP!.toFixed(4)]);
    assert.match(r.stdout, /warning: 1 ground-truth annotation\(s\) have id 0/);
    const doc = JSON.parse(ws.read('out/eval.json')) as Doc & { segm: Doc };
    assert.equal(doc.iou_type, 'bbox');
    assert.equal(doc.segm.iou_type, 'segm');
    for (const [d, expected] of [[doc, shapes.bbox], [doc.segm, shapes.segm]] as const) {
      assert.deepEqual(Object.keys(d.metrics!), [...METRIC_NAMES]);
      for (const m of METRIC_NAMES) close(d.metrics![m]!, expected.metrics[m]!, `${d.iou_type} ${m}`);
      for (const c of d.per_category) close(c.ap, expected.per_category[String(c.id)] ?? -1, `${d.iou_type} category ${c.id}`);
    }
  });

  it('--iou-type segm: one evaluation, the same file the evaluate step writes', async () => {
    const r = await cli(['evaluate', 'gt.json', 'dets.json.gz', '--iou-type', 'segm', '--out', 'out/segm.json', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const doc = JSON.parse(ws.read('out/segm.json')) as Doc & { segm?: Doc };
    assert.equal(doc.iou_type, 'segm');
    assert.equal(doc.segm, undefined);
    close(doc.metrics!.AP!, shapes.segm.metrics.AP!, 'AP');
    ws.write('p.yaml', 'steps:\n  eval: { type: evaluate, options: { gt_path: gt.json, preds_path: dets.json.gz, iou_type: segm, out: out/step.json } }\n');
    const step = await cli(['run', 'p.yaml']);
    assert.equal(step.code, 0, step.stderr);
    assert.equal(ws.read('out/step.json'), ws.read('out/segm.json'));
  });

  it('reads .zip inputs as the plain files', async () => {
    const zipped = (name: string, file: string) => {
      const text = readFileSync(file);
      writeFileSync(ws.path(name), zipOf(name.replace(/\.zip$/, ''), text, deflateRawSync(text)));
    };
    zipped('gt.json.zip', ws.path('gt.json'));
    zipped('dets.json.zip', path.join(ORACLE, 'cases/shapes.dets.json'));
    const plain = await cli(['evaluate', 'gt.json', 'dets.json.gz', '--out', 'out/plain.json', '--quiet']);
    const zip = await cli(['evaluate', 'gt.json.zip', 'dets.json.zip', '--out', 'out/zip.json', '--quiet']);
    assert.equal(zip.code, 0, zip.stderr);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(ws.read('out/zip.json'), ws.read('out/plain.json'));
  });

  it('bad input: the located error the step gives, exit status 1, and no JSON file', async () => {
    const good = '{"image_id": 5, "category_id": 1, "bbox": [10, 10, 10, 10], "score": 0.9}';
    const bad = '{"image_id": 5, "category_id": 1, "segmentation": {"size": [40, 40], "counts": [5, 5]}, "score": 0.5}';
    ws.write('bad.json', `[\n${good},\n${bad}\n]\n`);
    const r = await cli(['evaluate', 'gt.json', 'bad.json', '--out', 'out/bad.json']);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes('bad.json:3:1 (byte 77): detection #1: "segmentation": the RLE\'s counts add up to 10 pixels, but a [40, 40] mask has 1600'), r.stderr);
    assert.throws(() => ws.read('out/bad.json'));
  });

  it('usage: two files, a known --iou-type, and an --out that is not one of the inputs (exit status 2)', async () => {
    const one = await cli(['evaluate', 'gt.json']);
    assert.equal(one.code, 2);
    assert.match(one.stderr, /expected two files, GT and PREDS, got 1/);
    const type = await cli(['evaluate', 'gt.json', 'dets.json.gz', '--iou-type', 'mask']);
    assert.equal(type.code, 2);
    assert.match(type.stderr, /--iou-type must be bbox, segm or auto, got "mask"/);
    const over = await cli(['evaluate', 'gt.json', 'dets.json.gz', '--out', 'dets.json.gz']);
    assert.equal(over.code, 2);
    assert.match(over.stderr, /--out dets\.json\.gz is dets\.json\.gz, a file this command reads: it would be overwritten/);
    assert.ok(readFileSync(ws.path('dets.json.gz')).length > 1000, 'the input is intact');
  });
});
