/**
 * The shipped pipeline (pipelines/mini-lvis.yaml) on the bundled sample, through the CLI: its
 * `evaluate` step scores the pruned predictions on the pruned val, box AP and (the sample's
 * detections have masks) mask AP, writes the JSON file, puts the metrics in the run history,
 * and every kept category's AP is the one it has on the full sample pair (no sample image has
 * more than 300 detections).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluateFiles } from '../src/lvis/eval/evaluate-files.js';
import type { CategoryAp } from '../src/lvis/eval/evaluate.js';
import { historyMetrics } from '../src/lvis/eval/history-metrics.js';
import { StepRegistry } from '../src/runner/step/registry.js';
import { STEP_MODULES } from '../src/steps/index.js';
import type { HistoryRecord } from '../src/runner/cache/records.js';
import { runCli, statuses } from './helpers/runner-fixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const registry = new StepRegistry(STEP_MODULES, { moduleUrl: new URL('../src/steps/index.js', import.meta.url).href, exportName: 'STEP_MODULES' });

describe('pipelines/mini-lvis.yaml: the evaluate step', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-mini-eval-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('scores the pruned pair: the JSON file, the run history, and the full sample’s AP for each kept category', async () => {
    const cache = path.join(out, 'cache');
    const r = await runCli(['run', 'pipelines/mini-lvis.yaml', '--json', '--set', `out_dir=${out}`, '--set', 'total_images=300', '--cache-dir', cache], { cwd: root, registry });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statuses(r.events).evaluate, 'ran');
    // Its inputs are files of the cache, named by their hash: the progress says what they are (issue 24).
    const labels = new Set(r.events.flatMap((e) => (e.type === 'step-progress' && e.stepId === 'evaluate' ? [e.label] : [])));
    assert.ok(labels.has('reading the GT') && labels.has('reading the predictions'), [...labels].join(', '));
    assert.ok(![...labels].some((l) => /[0-9a-f]{64}/.test(l)), [...labels].join(', '));

    type Doc = { iou_type: string; metrics: Record<string, number>; per_category: CategoryAp[] };
    const doc = JSON.parse(readFileSync(path.join(out, 'mini_lvis_val_eval.json'), 'utf8')) as Doc & { segm: Doc };
    const direct = await evaluateFiles(path.join(out, 'mini_lvis_val.json'), path.join(out, 'mini_lvis_val_preds.json'));
    // The sample's detections carry masks: box AP and mask AP, with no option set.
    assert.deepEqual(direct.evaluations.map((e) => e.iouType), ['bbox', 'segm']);
    assert.equal(doc.iou_type, 'bbox');
    assert.deepEqual(doc.metrics, direct.evaluations[0]!.metrics);
    assert.equal(doc.segm.iou_type, 'segm');
    assert.deepEqual(doc.segm.metrics, direct.evaluations[1]!.metrics);
    const runs = readdirSync(path.join(cache, 'history'));
    assert.equal(runs.length, 1);
    const record = JSON.parse(readFileSync(path.join(cache, 'history', runs[0]!), 'utf8')) as HistoryRecord;
    assert.deepEqual(record.metrics['evaluate.metrics'], historyMetrics(direct.evaluations));
    assert.ok((record.metrics['evaluate.metrics'] as Record<string, number>)['segm/AP']! > 0);

    const full = await evaluateFiles(path.join(root, 'data/sample/lvis_v1_val_synth.json.gz'), path.join(root, 'data/sample/preds_val_synth.json.gz'));
    // The pruned val lists every category (`list_categories: all`); those the subset does not
    // keep have no GT there, so no AP. Every other one has the AP of the full pair, box and mask.
    const keptIds = new Set(JSON.parse(readFileSync(path.join(out, 'mini_lvis_val.json'), 'utf8')).annotations.map((a: { category_id: number }) => a.category_id) as number[]);
    for (const [i, pruned] of [doc, doc.segm].entries()) {
      const fullAp = new Map(full.evaluations[i]!.perCategory.map((c) => [c.id, c.ap!]));
      assert.ok(keptIds.size > 100 && keptIds.size < [...fullAp.values()].filter((ap) => ap !== -1).length);
      for (const c of pruned.per_category) {
        const expected = keptIds.has(c.id) ? fullAp.get(c.id)! : -1;
        assert.ok(Math.abs(c.ap! - expected) <= 1e-12, `${pruned.iou_type} category ${c.id}: ${c.ap} vs ${expected}`);
      }
      assert.ok(pruned.per_category.filter((c) => c.ap! > 0).length > 100);
    }

    // Without predictions (issue 24: the sample's stayed in force and AP 0.0000 was recorded):
    // `--set preds_json=` writes an empty list, and evaluate records no AP, with a warning.
    const none = await runCli(['run', 'pipelines/mini-lvis.yaml', '--json', '--set', `out_dir=${out}`, '--set', 'total_images=300', '--set', 'preds_json=', '--cache-dir', cache], { cwd: root, registry });
    assert.equal(none.code, 0, none.stderr);
    assert.equal(readFileSync(path.join(out, 'mini_lvis_val_preds.json'), 'utf8'), '[]');
    const logs = JSON.stringify(none.events);
    assert.match(logs, /no predictions \(`path` is empty\)/);
    assert.match(logs, /warning: there are no detections, so there is no AP/);
    const latest = readdirSync(path.join(cache, 'history')).sort().at(-1)!;
    const noAp = JSON.parse(readFileSync(path.join(cache, 'history', latest), 'utf8')) as HistoryRecord;
    assert.deepEqual(noAp.metrics['evaluate.metrics'], {});
    assert.equal((JSON.parse(readFileSync(path.join(out, 'mini_lvis_val_eval.json'), 'utf8')) as Doc).metrics, null);
  });
});
