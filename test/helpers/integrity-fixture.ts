/**
 * A small real-shaped LVIS pipeline for the integrity and fault-injection tests: the real
 * lvis_val_100 sample (an LVIS v0.5 val file) as train and as val, sampled, written and pruned,
 * with lvis-pipe's own steps. Fast enough to run dozens of times.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StepRegistry } from '../../src/runner/step/registry.js';
import { STEP_MODULES } from '../../src/steps/index.js';
import type { HistoryRecord } from '../../src/runner/cache/records.js';
import type { Workspace } from './runner-fixture.js';

export const LVIS_REGISTRY = new StepRegistry(STEP_MODULES, {
  moduleUrl: new URL('../../src/steps/index.js', import.meta.url).href,
  exportName: 'STEP_MODULES',
});

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/real/lvis_val_100.json', import.meta.url));

export const OUTPUTS = ['out/train_mini.json', 'out/val_pruned.json'] as const;

/** Writes the inputs and the pipeline `p.yaml` into the workspace. */
export function writeLvisPipeline(ws: Workspace, totalImages = 40): void {
  ws.write('data/.keep', '');
  copyFileSync(FIXTURE, ws.path('data/train.json'));
  copyFileSync(FIXTURE, ws.path('data/val.json'));
  ws.write(
    'p.yaml',
    `params:
  total_images: ${totalImages}
steps:
  train: { type: load, options: { path: data/train.json } }
  val: { type: load, options: { path: data/val.json } }
  stats: { type: stats, inputs: { dataset: train } }
  mix: { type: target-mix, inputs: { stats: stats } }
  histograms: { type: histograms, inputs: { dataset: train } }
  quotas: { type: quotas, inputs: { dataset: train } }
  sample:
    type: greedy-sample
    inputs: { dataset: train, histograms: histograms, mix: mix, quotas: quotas }
    options: { total_images: "\${params.total_images}", pool: 32 }
  write: { type: write, inputs: { dataset: train, sample: sample.sample }, options: { out: out/train_mini.json } }
  kept: { type: kept-categories, inputs: { dataset: train, sample: sample.sample } }
  prune_val: { type: prune-gt, inputs: { gt: val, kept: kept }, options: { out: out/val_pruned.json } }
`,
  );
}

/** The bytes of every output file (undefined where it is missing). */
export function outputBytes(ws: Workspace): (string | undefined)[] {
  return OUTPUTS.map((f) => (existsSync(ws.path(f)) ? readFileSync(ws.path(f), 'latin1') : undefined));
}

/** Every file below `dir`, relative to it. */
export function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(path.join(dir, f)).isFile());
}

/** The cache object a step's output is stored in, from the newest history record. */
export function objectOf(cacheDir: string, history: { steps: Record<string, { outputs: Record<string, { digest: string }> }> }, step: string, output: string): string {
  const digest = history.steps[step]!.outputs[output]!.digest;
  return path.join(cacheDir, 'objects', digest.slice(0, 2), digest);
}

/** The newest history record of the workspace's cache (`.lvis-pipe/`). */
export function lastHistory(ws: Workspace): HistoryRecord {
  const dir = ws.path('.lvis-pipe/history');
  return JSON.parse(readFileSync(path.join(dir, readdirSync(dir).sort().at(-1)!), 'utf8')) as HistoryRecord;
}
