/**
 * The README's first command: `lvis-pipe run pipelines/mini-lvis.yaml` on the bundled sample,
 * through the real CLI (bin/lvis-pipe.js), with its outputs redirected to a temp folder. Checks
 * that every promised file is written and usable, and that a second run is all cache hits.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../src/lvis/load/load.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'bin/lvis-pipe.js');

interface Event {
  type: string;
  stepId?: string;
  status?: string;
  steps?: { id: string; status: string }[];
  message?: string;
}

function run(out: string): Event[] {
  const r = spawnSync(
    process.execPath,
    [bin, 'run', 'pipelines/mini-lvis.yaml', '--json', '--set', `out_dir=${out}`, '--set', 'total_images=300', '--cache-dir', path.join(out, 'cache')],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Event);
}

describe('pipelines/mini-lvis.yaml on the bundled sample', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-mini-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes the subset, the pruned val GT and predictions, the charts and the report; a rerun is all cache hits', async () => {
    const first = run(out);
    const finish = first.find((e) => e.type === 'run-finish')!;
    assert.equal(finish.status, 'ok');
    assert.ok(finish.steps!.every((s) => s.status === 'ran'), JSON.stringify(finish.steps));
    // The reporter prefixes each log line with its step: a line never names it again (`report: report:`).
    const logs = first.filter((e) => e.type === 'step-log');
    assert.ok(logs.length > 10);
    for (const e of logs) assert.ok(!e.message!.startsWith(`${e.stepId}:`), `${e.stepId}: ${e.message}`);

    const subset = (await loadDataset(path.join(out, 'mini_lvis_train.json'))).dataset;
    assert.equal(subset.images.count, 300);
    assert.equal(subset.categories.count, 1203, 'write keeps every category by default');

    const val = (await loadDataset(path.join(out, 'mini_lvis_val.json'))).dataset;
    const keptIds = new Set(subset.annotations.category.reduce<number[]>((a, c) => (a.push(subset.categories.id[c]!), a), []));
    // Train and val list the same categories in the same order (list_categories: all), so a
    // framework that numbers classes by list position scores label i as the same category.
    assert.deepEqual(Array.from(val.categories.id), Array.from(subset.categories.id), 'the subset and the pruned val list the same categories, in order');
    const valAnnotated = new Set(Array.from(val.annotations.category, (c) => val.categories.id[c]!));
    assert.ok([...valAnnotated].every((id) => keptIds.has(id)), 'the pruned val annotates only categories the subset keeps');

    const preds = JSON.parse(readFileSync(path.join(out, 'mini_lvis_val_preds.json'), 'utf8')) as { image_id: number; category_id: number }[];
    const valImages = new Set(val.images.id);
    assert.ok(preds.length > 0);
    assert.ok(preds.every((d) => keptIds.has(d.category_id) && valImages.has(d.image_id)));

    for (const f of ['lvis_tiers_train_val', 'lvis_class_size_fidelity', 'lvis_size_shares', 'lvis_greedy_objective', 'lvis_rare_quota_usage']) {
      assert.ok(existsSync(path.join(out, 'plots', `${f}.png`)), f);
      assert.ok(readFileSync(path.join(out, 'plots', `${f}.svg`), 'utf8').startsWith('<svg'), f);
    }
    const firstReport = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(firstReport, /mini-LVIS run report/);

    const second = run(out);
    const again = second.find((e) => e.type === 'run-finish')!;
    assert.ok(again.steps!.every((s) => s.status === 'cached'), JSON.stringify(again.steps));
    const secondReport = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.notEqual(secondReport, firstReport, 'the report is rewritten for the second run (all cached)');

    // Deleted charts: the plan says each plot step restores its files, in one line for all of them.
    rmSync(path.join(out, 'plots'), { recursive: true });
    const plan = spawnSync(
      process.execPath,
      [bin, 'plan', 'pipelines/mini-lvis.yaml', '--json', '--set', `out_dir=${out}`, '--set', 'total_images=300', '--cache-dir', path.join(out, 'cache')],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(plan.status, 0, plan.stderr);
    const entries = (JSON.parse(plan.stdout) as { steps: { id: string; action: string; reasons: string[] }[] }).steps;
    const plots = entries.find((e) => e.id === 'plots')!;
    assert.equal(plots.action, 'restore');
    assert.equal(plots.reasons.length, 1);
    assert.match(plots.reasons[0]!, /^8 output files missing \(restore\): .*lvis_class_size_fidelity\.png, .*lvis_class_size_fidelity\.svg, … \(6 more\)$/);
    const tiers = entries.find((e) => e.id === 'tier_plots')!;
    assert.equal(tiers.action, 'restore');
    assert.deepEqual(
      tiers.reasons.map((r) => r.replace(out, 'OUT')),
      ['output file OUT/plots/lvis_tiers_train_val.png missing (restore)', 'output file OUT/plots/lvis_tiers_train_val.svg missing (restore)'],
    );
  });
});

describe('pipelines/mini-lvis.yaml: mistyped option values', () => {
  it('a choice option gets one message naming the alternatives, and enum and choice typos get a did-you-mean', () => {
    const r = spawnSync(process.execPath, [bin, 'validate', 'pipelines/mini-lvis.yaml', '--set', 'pool=al', '--set', 'strategy=gredy'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    const located = r.stderr.split('\n').filter((l) => l.startsWith('pipelines/mini-lvis.yaml:'));
    assert.deepEqual(
      located.map((l) => l.replace(/:\d+:\d+:/, ':L:C:')),
      [
        'pipelines/mini-lvis.yaml:L:C: step `sample` (type `greedy-sample`): option `strategy` must be one of "greedy", "random", "restarts", "coverage" (did you mean `greedy`?), got "gredy" (from ${params.strategy}, set by --set strategy=gredy)',
        'pipelines/mini-lvis.yaml:L:C: step `sample` (type `greedy-sample`): option `pool` must be an integer ≥ 1 or "all" (did you mean `all`?), got "al" (from ${params.pool}, set by --set pool=al)',
      ],
    );
    const neg = spawnSync(process.execPath, [bin, 'validate', 'pipelines/mini-lvis.yaml', '--set', 'pool=-1'], { cwd: root, encoding: 'utf8' });
    assert.equal(neg.status, 2);
    assert.match(neg.stderr, /option `pool` must be an integer ≥ 1 or "all", got -1/);
    assert.equal(neg.stderr.split('\n').filter((l) => l.startsWith('pipelines/mini-lvis.yaml:')).length, 1, 'one message, not one per branch');
  });
});

describe('pipelines/mini-lvis.yaml: keys', () => {
  it('are the same whichever folder the command is typed in (an empty folder option included)', () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-keys-'));
    try {
      const keys = (cwd: string, file: string) => {
        const r = spawnSync(process.execPath, [bin, 'plan', file, '--json', '--cache-dir', cache], { cwd, encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        return Object.fromEntries((JSON.parse(r.stdout) as { steps: { id: string; key: string }[] }).steps.map((s) => [s.id, s.key]));
      };
      const fromRoot = keys(root, 'pipelines/mini-lvis.yaml');
      assert.ok('images' in fromRoot);
      assert.deepEqual(keys(path.join(root, 'pipelines'), 'mini-lvis.yaml'), fromRoot);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
