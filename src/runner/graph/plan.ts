/** `plan`: what `run` would do, step by step, and why; nothing is run or written. */
import { decide } from './decide.js';
import { resolveKeys, selectSteps } from './select.js';
import type { StatCache } from '../cache/file-digests.js';
import type { Pipeline } from '../pipeline/types.js';
import type { CacheStore } from '../cache/store.js';

export interface PlanEntry {
  id: string;
  type: string;
  key: string;
  action: 'cached' | 'restore' | 'run';
  reasons: string[];
}

export async function planPipeline(
  p: Pipeline,
  store: CacheStore,
  statCache: StatCache,
  opts: { force?: 'all' | ReadonlySet<string>; only?: readonly string[]; stateId?: string } = {},
): Promise<PlanEntry[]> {
  const ids = selectSteps(p, opts.only);
  const keys = await resolveKeys(p, ids, statCache);
  const state = await store.readState(opts.stateId ?? p.id);
  const out: PlanEntry[] = [];
  for (const id of ids) {
    const step = p.steps.get(id)!;
    const { key, material } = keys.get(id)!;
    const forced = opts.force === 'all' || (opts.force?.has(id) ?? false);
    const d = await decide(step, p.dir, key, material, state?.steps[id], store, statCache, forced);
    out.push({ id, type: step.type, key, action: d.run ? 'run' : d.restores.length ? 'restore' : 'cached', reasons: d.reasons });
  }
  return out;
}
