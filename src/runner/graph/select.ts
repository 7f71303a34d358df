/** Which steps a run runs (`--only` and what it needs), and their cache keys. */
import { fileDigest, type StatCache } from '../cache/file-digests.js';
import { keyMaterial, keyOf } from '../cache/key.js';
import { type KeyMaterial } from '../cache/records.js';
import type { Pipeline } from '../pipeline/types.js';

/**
 * Keys of the given steps (and key material), hashing external files through the stat
 * cache. `ids` must be closed under dependencies (as selectSteps returns).
 */
export async function resolveKeys(
  p: Pipeline,
  ids: readonly string[],
  statCache: StatCache,
  signal?: AbortSignal,
  onHash?: (file: string, size: number) => void,
): Promise<Map<string, { key: string; material: KeyMaterial }>> {
  const digests = new Map<string, string>();
  for (const id of ids) {
    for (const f of p.steps.get(id)!.files) {
      if (digests.has(f.path)) continue;
      const d = await fileDigest(f.path, statCache, signal, (size) => onHash?.(f.path, size));
      digests.set(f.path, d.digest);
    }
  }
  const keys = new Map<string, string>();
  const out = new Map<string, { key: string; material: KeyMaterial }>();
  const want = new Set(ids);
  for (const id of p.order) {
    if (!want.has(id)) continue;
    const material = keyMaterial(p.steps.get(id)!, p.dir, keys, digests);
    const key = keyOf(material);
    keys.set(id, key);
    out.set(id, { key, material });
  }
  return out;
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
