/**
 * The `evaluate` step through the CLI, on the bundled sample val (600 images, 7,695 GT boxes)
 * with two detection files: the sample's synthetic detections and a perfect detector (each GT
 * box, score 1: every metric is exactly 1). Its metrics reach the run history under the LVIS
 * API's names, and from there `runs`, `diff`, `sweep` (sorted by AP) and the run report; its
 * JSON file holds the same numbers as the evaluator itself; the sample's detections carry masks,
 * so mask AP comes too, as segm/AP etc. Also: check() wants each file exactly once, a bad
 * detection fails the run with its location, and an empty file records no AP, with a warning.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { RunDiff, RunsRow } from '../src/runner/cache/history.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import type { RunEvent } from '../src/runner/exec/events.js';
import { STEP_MODULES } from '../src/steps/index.js';
import { evaluateFiles, type EvaluateFilesResult } from '../src/lvis/eval/evaluate-files.js';
import { historyMetrics } from '../src/lvis/eval/history-metrics.js';
import { METRIC_NAMES } from '../src/lvis/eval/params.js';
import { formatValue } from '../src/lvis/report/html.js';
import { runCli, statuses, Workspace } from './helpers/runner-fixture.js';

const SAMPLE_VAL = new URL('../../data/sample/lvis_v1_val_synth.json.gz', import.meta.url).pathname;
const SAMPLE_PREDS = new URL('../../data/sample/preds_val_synth.json.gz', import.meta.url).pathname;
// With its module URL, so that the step runs in a worker thread as in the real CLI.
const registry = new StepRegistry(STEP_MODULES, { moduleUrl: new URL('../src/steps/index.js', import.meta.url).href, exportName: 'STEP_MODULES' });

const PIPELINE = `params:
  preds: { type: path, default: data/synth.json.gz }
steps:
  eval:
    type: evaluate
    options: { gt_path: data/val.json.gz, preds_path: "\${params.preds}", out: out/eval.json }
  report: { type: report, options: { out: out/report.html, title: evaluation } }
sweep:
  grid: { preds: [data/synth.json.gz, data/perfect.json] }
  sort_by: AP
  order: desc
`;

const cli = (ws: Workspace, args: string[]) => runCli(args, { cwd: ws.dir, registry });
const events = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);

describe('the evaluate step through the CLI', () => {
  let ws: Workspace;
  let synth: EvaluateFilesResult;
  /** The sample's box metrics, and what the run history holds (box and, the detections having masks, mask AP). */
  let box: Record<string, number>;
  let recordedSynth: Record<string, number>;
  before(async () => {
    ws = new Workspace();
    mkdirSync(ws.path('data'));
    copyFileSync(SAMPLE_VAL, ws.path('data/val.json.gz'));
    copyFileSync(SAMPLE_PREDS, ws.path('data/synth.json.gz'));
    const gt = JSON.parse(gunzipSync(readFileSync(SAMPLE_VAL)).toString('utf8')) as { annotations: { image_id: number; category_id: number; bbox: number[] }[] };
    ws.write('data/perfect.json', JSON.stringify(gt.annotations.map((a) => ({ image_id: a.image_id, category_id: a.category_id, bbox: a.bbox, score: 1 }))));
    ws.write('p.yaml', PIPELINE);
    synth = await evaluateFiles(SAMPLE_VAL, SAMPLE_PREDS);
    box = synth.evaluations[0]!.metrics!;
    recordedSynth = historyMetrics(synth.evaluations);
  });
  after(() => ws.remove());

  it('run: the metrics go into the run history under the API’s names, the same numbers as the evaluator and the JSON file', async () => {
    const r = await cli(ws, ['run', 'p.yaml', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statuses(r.events).eval, 'ran');
    const recorded = ws.lastRun().metrics['eval.metrics'] as Record<string, number>;
    // Box AP under the API's names, mask AP (the sample's detections have masks) under segm/.
    assert.deepEqual(Object.keys(recorded), [...METRIC_NAMES, ...METRIC_NAMES.map((m) => `segm/${m}`)]);
    assert.deepEqual(recorded, recordedSynth);
    type Doc = { iou_type: string; metrics: unknown; per_category: { id: number; ap: number }[] };
    const file = JSON.parse(ws.read('out/eval.json')) as Doc & { segm: Doc };
    assert.deepEqual(file.metrics, box);
    assert.deepEqual(file.per_category, synth.evaluations[0]!.perCategory);
    assert.equal(file.segm.iou_type, 'segm');
    assert.deepEqual(file.segm.metrics, synth.evaluations[1]!.metrics);
    // The run report shows every metric, as the report formats numbers.
    const html = ws.read('out/report.html');
    assert.match(html, /<h3 class="muted">eval\.metrics<\/h3>/);
    for (const m of Object.keys(recordedSynth)) assert.ok(html.includes(`<th scope="row">${m}</th><td>${formatValue(recordedSynth[m])}</td>`), m);
    // A second run is a cache hit with the same metrics in its history record.
    const again = await cli(ws, ['run', 'p.yaml', '--json']);
    assert.equal(statuses(again.events).eval, 'cached');
    assert.deepEqual(ws.lastRun().metrics['eval.metrics'], recordedSynth);
  });

  it('a perfect detector scores exactly 1 on every metric', async () => {
    const r = await cli(ws, ['run', 'p.yaml', '--json', '--set', 'preds=data/perfect.json']);
    assert.equal(r.code, 0, r.stderr);
    const recorded = ws.lastRun().metrics['eval.metrics'] as Record<string, number>;
    for (const m of METRIC_NAMES) assert.equal(recorded[m], 1, m);
    // Its detections have no masks: box AP only.
    assert.deepEqual(Object.keys(recorded), [...METRIC_NAMES]);
  });

  it('runs: each run with its AP, AR@300 and the rest, by the API’s names', async () => {
    const r = await cli(ws, ['runs', 'p.yaml', '--json', '--metrics', METRIC_NAMES.join(',')]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { metrics: string[]; runs: RunsRow[] };
    assert.deepEqual(j.metrics, [...METRIC_NAMES, ...METRIC_NAMES.map((m) => `segm/${m}`)]);
    const [perfect, cached, first] = j.runs; // newest first
    assert.equal(perfect!.metrics.AP, 1);
    assert.equal(cached!.metrics.AP, box.AP);
    assert.equal(first!.metrics['AR@300'], box['AR@300']);
    const text = await cli(ws, ['runs', 'p.yaml', '--metrics', 'AP,APr,AR@300']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /AP\b.*APr.*AR@300/);
  });

  it('diff: every metric of two runs with its delta', async () => {
    const r = await cli(ws, ['diff', 'p.yaml', '@~1', '@', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as RunDiff;
    const byName = new Map(d.metrics.map((m) => [m.name, m]));
    for (const m of METRIC_NAMES) {
      const row = byName.get(m)!;
      assert.equal(row.a, box[m], m);
      assert.equal(row.b, 1, m);
      assert.equal(row.delta, 1 - box[m], m);
      assert.equal(row.change, 'changed');
    }
  });

  it('sweep: the variants sorted by AP, best first, with every metric', async () => {
    const r = await cli(ws, ['sweep', 'p.yaml', '--json', '--jobs', '2']);
    assert.equal(r.code, 0, r.stderr);
    const fin = events(r.stdout).find((e) => e.type === 'sweep-finish');
    assert.ok(fin?.type === 'sweep-finish');
    const res = fin.result;
    assert.equal(res.sortBy, 'AP');
    assert.equal(res.order, 'desc');
    assert.deepEqual(res.variants.map((v) => [String(v.params.preds).split('/').pop(), v.metrics.AP]), [
      ['perfect.json', 1],
      ['synth.json.gz', box.AP],
    ]);
    for (const m of METRIC_NAMES) assert.equal(res.variants[1]!.metrics[m], box[m], m);
    // Sorted the other way by another metric on request.
    const asc = await cli(ws, ['sweep', 'p.yaml', '--json', '--jobs', '2', '--sort', 'ARs@300', '--asc']);
    const fin2 = events(asc.stdout).find((e) => e.type === 'sweep-finish');
    assert.ok(fin2?.type === 'sweep-finish');
    assert.deepEqual(fin2.result.variants.map((v) => v.metrics['ARs@300']), [box['ARs@300'], 1]);
  });

  it('check(): each file exactly once, as an option or an input', async () => {
    ws.write(
      'twice.yaml',
      `steps:
  synth: { type: synth, options: { images: 20, val_images: 10 } }
  eval: { type: evaluate, inputs: { gt: synth.val, preds: synth.preds }, options: { gt_path: data/val.json.gz, out: out/e.json } }
`,
    );
    const twice = await cli(ws, ['run', 'twice.yaml']);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /has both a `gt_path` option and a `gt` input: give exactly one/);
    ws.write('none.yaml', 'steps:\n  eval: { type: evaluate, options: { out: out/e.json } }\n');
    const none = await cli(ws, ['run', 'none.yaml']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs the GT file: a `gt_path` option or a `gt` input/);
    assert.match(none.stderr, /needs the detections file: a `preds_path` option or a `preds` input/);
  });

  it('the synth step’s val and predictions, wired as file inputs, evaluate', async () => {
    ws.write(
      'inputs.yaml',
      `steps:
  synth: { type: synth, options: { images: 40, val_images: 30 } }
  eval: { type: evaluate, inputs: { gt: synth.val, preds: synth.preds }, options: { out: out/inputs.json } }
`,
    );
    const r = await cli(ws, ['run', 'inputs.yaml', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = (JSON.parse(ws.read('out/inputs.json')) as { metrics: Record<string, number> }).metrics;
    assert.ok(m.AP! > 0 && m.AP! < 1, String(m.AP));
  });

  it('a bad detection fails the run with the file, line:col, byte offset and the detection', async () => {
    const bad = '{"image_id": 424242, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.5}';
    const good = readFileSync(ws.path('data/perfect.json'), 'utf8').slice(1).split('},')[0] + '}';
    ws.write('data/bad.json', `[\n${good},\n${bad}\n]\n`);
    const r = await cli(ws, ['run', 'p.yaml', '--set', 'preds=data/bad.json']);
    assert.equal(r.code, 1);
    const offset = 2 + Buffer.byteLength(good) + 2;
    assert.ok(r.stderr.includes(`data/bad.json:3:1 (byte ${offset}): detection #1: "image_id" 424242 is not an image of the GT`), r.stderr);
  });

  it('an empty detections file records no AP (not 0), and says so as a warning', async () => {
    // Issue 24: a run without predictions recorded AP 0.0000 in runs, diff and the report.
    ws.write('data/empty.json', '[]\n');
    const r = await cli(ws, ['run', 'p.yaml', '--set', 'preds=data/empty.json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /warning: there are no detections, so there is no AP: none is recorded/);
    assert.match(r.stdout + r.stderr, /box AP: none \(no detections\)/);
    assert.deepEqual(ws.lastRun().metrics['eval.metrics'], {});
  });
});
