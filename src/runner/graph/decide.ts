/**
 * The one place that decides whether a step is a cache hit, and says why it is not. `plan`
 * and `run` both use it, so the plan is exactly what the run will do.
 */
import type { StatCache } from '../cache/file-digests.js';
import { type KeyMaterial } from '../cache/records.js';
import { materializedState } from '../cache/materialize.js';
import type { ResolvedStep } from '../pipeline/types.js';
import { explainChange } from './reasons.js';
import type { CacheStore } from '../cache/store.js';
import { type StepState } from '../cache/records.js';
import { type RunRecord } from '../cache/records.js';
import { displayPath } from '../../base/display-path.js';

export interface Restore {
  output: string;
  path: string;
  state: 'missing' | 'modified';
}

export interface StepDecision {
  run: boolean;
  reasons: string[];
  /** The hit (when not running). */
  record?: RunRecord;
  /** Output files to (re)write from the store. */
  restores: Restore[];
}

export async function decide(
  step: ResolvedStep,
  /** The pipeline's folder: the step's file option paths in its key are relative to it. */
  pipelineDir: string,
  key: string,
  material: KeyMaterial,
  prev: StepState | undefined,
  store: CacheStore,
  statCache: StatCache,
  forced: boolean,
  /** The key by input content, when the upstream steps are done (run); undefined in `plan`. */
  contentKey?: string,
): Promise<StepDecision> {
  // The options whose paths the key holds relative to the pipeline's folder (cache/key.ts: file and
  // folder options), shown as the user would type them, like every other path in a reason.
  const paths = { dir: pipelineDir, options: new Set([...(step.module.fileOptions ?? []), ...(step.module.folderOptions ?? [])]) };
  const changes = prev && prev.key !== key ? explainChange(prev.material, material, paths) : [];
  if (forced) return { run: true, reasons: ['forced', ...changes], restores: [] };
  const damagedBefore = store.problems.length;
  const record = await store.validRecord(key, contentKey);
  if (!record && store.problems.length > damagedBefore) {
    return { run: true, reasons: ['its cached result failed its integrity check (see the cache message): recomputing'], restores: [] };
  }
  if (!record && contentKey !== undefined && (await store.validRecord(key))) {
    return { run: true, reasons: ['its cached result was made from other input bytes (an upstream step was forced, or is not deterministic)'], restores: [] };
  }
  if (record) {
    const reasons: string[] = [];
    if (prev && prev.key !== key) reasons.push(`same as an earlier run (${changes.join('; ') || 'key changed'})`);
    const restores: Restore[] = [];
    for (const [output, dest] of Object.entries(step.outputPaths)) {
      const stored = record.outputs[output];
      if (!stored) continue;
      const state = await materializedState(statCache, stored, dest);
      if (state !== 'ok') restores.push({ output, path: dest, state });
    }
    reasons.push(...restoreReasons(restores));
    return { run: false, reasons, record, restores };
  }
  if (!prev) {
    const any = await store.hasAnyRecord(key);
    return { run: true, reasons: [any ? 'outputs missing from the cache' : 'new'], restores: [] };
  }
  if (prev.key === key) {
    const why =
      prev.status === 'failed'
        ? 'last run failed'
        : prev.status === 'interrupted'
          ? 'last run was interrupted'
          : prev.status === 'skipped'
            ? 'not run yet (was skipped)'
            : 'outputs missing from the cache';
    return { run: true, reasons: [why], restores: [] };
  }
  return { run: true, reasons: changes.length ? changes : ['key changed'], restores: [] };
}

/** One reason per file to restore; past three (a plot step has many), one line for them all. */
function restoreReasons(restores: readonly Restore[]): string[] {
  if (restores.length <= 3) {
    return restores.map((r) =>
      r.state === 'missing' ? `output file ${displayPath(r.path)} missing (restore)` : `output file ${displayPath(r.path)} differs from the cached result (rewrite)`,
    );
  }
  const missing = restores.filter((r) => r.state === 'missing').length;
  const what = missing === restores.length ? 'missing (restore)' : missing === 0 ? 'differ from the cached results (rewrite)' : `missing or changed (${missing} missing; restore)`;
  return [`${restores.length} output files ${what}: ${restores.slice(0, 2).map((r) => displayPath(r.path)).join(', ')}, … (${restores.length - 2} more)`];
}
