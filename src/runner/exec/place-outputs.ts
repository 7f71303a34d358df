/**
 * A step's results put in place, after it ran or was a cache hit: its output files at their
 * paths (cache/materialize.ts), then its `sync`, which keeps the folders the runner does not
 * store (a folder of images) in line with its outputs.
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { displayPath } from '../../base/display-path.js';
import { materialize } from '../cache/materialize.js';
import type { StatCache } from '../cache/file-digests.js';
import type { RunRecord } from '../cache/records.js';
import type { CacheStore } from '../cache/store.js';
import type { Pipeline, ResolvedStep } from '../pipeline/types.js';
import type { EventSink } from './events.js';
import { outputPathError } from './output-errors.js';
import { progressReporter } from './progress.js';
import type { ValueMemo } from './values.js';

export interface PlaceDeps {
  store: CacheStore;
  statCache: StatCache;
  emit: EventSink;
  signal: AbortSignal;
  values: ValueMemo;
}

type Base = { runId: string; label?: string };

/** Puts the step's results in place; returns the output files it restored (missing or changed). */
export async function placeOutputs(deps: PlaceDeps, p: Pipeline, step: ResolvedStep, record: RunRecord, base: Base): Promise<string[]> {
  const restored = await materializeFiles(deps, p, step, record);
  if (step.module.sync) await runSync(deps, step, record, base);
  return restored;
}

async function materializeFiles(deps: PlaceDeps, p: Pipeline, step: ResolvedStep, record: RunRecord): Promise<string[]> {
  const restored: string[] = [];
  for (const [output, dest] of Object.entries(step.outputPaths)) {
    const stored = record.outputs[output];
    if (!stored) continue;
    let before;
    try {
      before = await materialize(deps.store, deps.statCache, stored, dest);
    } catch (err) {
      throw outputPathError(p, step, output, dest, err, deps.store.root);
    }
    if (before !== 'ok') restored.push(displayPath(dest));
  }
  return restored;
}

async function runSync(deps: PlaceDeps, step: ResolvedStep, record: RunRecord, base: Base): Promise<void> {
  const { store, emit, signal } = deps;
  const outputs: Record<string, unknown> = {};
  for (const [name, out] of Object.entries(record.outputs)) outputs[name] = out.storage === 'file' ? store.objectPath(out.digest) : await deps.values.get(out);
  const dataDir = path.join(store.dataDir, step.module.type);
  await mkdir(dataDir, { recursive: true });
  await step.module.sync!({
    stepId: step.id,
    options: step.options,
    outputs,
    progress: progressReporter((ev) => emit({ type: 'step-progress', ...base, stepId: step.id, ...ev })),
    log: (message) => emit({ type: 'step-log', ...base, stepId: step.id, message }),
    signal,
    dataDir,
  });
}

/**
 * The output files of a step that failed or was skipped in this run: files an earlier run put
 * at its output paths. Removed (the cache keeps their content), so that the folder holds one
 * run's files. Returns the paths removed.
 */
export async function removeEarlierOutputs(step: ResolvedStep): Promise<string[]> {
  const removed: string[] = [];
  for (const dest of Object.values(step.outputPaths)) {
    const st = await lstat(dest).catch(() => undefined);
    if (!st?.isFile()) continue;
    await rm(dest, { force: true });
    removed.push(dest);
  }
  return removed;
}
