/** Which steps a run runs (`--only` and what it needs), and their cache keys. */
import type { StatCache } from '../cache/file-digests.js';
import { RunKeys, type StepKey } from '../exec/deferred-key.js';
import type { Pipeline } from '../pipeline/types.js';

/**
 * Keys of the given steps (and key material), hashing every external file first, through the
 * stat cache: for commands that plan and run nothing (a run defers some, exec/deferred-key.ts).
 * `ids` must be closed under dependencies (as selectSteps returns).
 */
export async function resolveKeys(
  p: Pipeline,
  ids: readonly string[],
  statCache: StatCache,
  signal?: AbortSignal,
  onHash?: (file: string, size: number) => void,
): Promise<Map<string, StepKey>> {
  const keys = await RunKeys.resolve(p, ids, statCache, { defer: false, ...(signal ? { signal } : {}), ...(onHash ? { onHash } : {}) });
  return new Map(ids.map((id) => [id, keys.get(id)!]));
}

/** `--only`: the named steps and everything they need, in pipeline order. */
export function selectSteps(p: Pipeline, only: readonly string[] | undefined): string[] {
  if (!only || only.length === 0) return [...p.order];
  const want = new Set<string>();
  const visit = (id: string) => {
    if (want.has(id)) return;
    want.add(id);
    for (const d of p.steps.get(id)!.deps) visit(d);
  };
  for (const id of only) visit(id);
  return p.order.filter((id) => want.has(id));
}
