/**
 * Cache inspection and garbage collection.
 *
 * gc keeps, for every pipeline known in state/ whose file still exists, the keys of its
 * last resolved steps, plus the keys used by the last N pipeline runs (history/); it
 * removes the run records of every other key, then every object no remaining record
 * references, and leftovers in tmp/. History records are small and kept (they hold the
 * params and metrics that `runs` and `diff` show).
 *
 * With `dropIntermediate`, it also removes the results of the steps that produce no output
 * file (a parsed dataset, statistics, a sample): what the cache then keeps is the objects behind
 * output files, which the output folders hard-link, so the cache costs almost no disk beyond
 * them. The price is the next run's time: those steps run again (their records are gone, so it
 * is a plain miss, not damage), and the steps after them are hits again once their keys match.
 */
import { existsSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StatCache } from './file-digests.js';
import type { CacheStore } from './store.js';
import { type HistoryRecord } from './records.js';
import { type PipelineState } from './records.js';
import { type RunRecord } from './records.js';

export interface CacheUsage {
  objects: number;
  objectBytes: number;
  keys: number;
  records: number;
  recordBytes: number;
  history: number;
  pipelines: { id: string; file: string; exists: boolean; state: PipelineState }[];
  /** Files and bytes in data/ (what steps fetched from elsewhere; gc keeps them). */
  dataFiles: number;
  dataBytes: number;
}

/** Files and bytes below `dir` (0 when it does not exist). */
async function folderUsage(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(path.join(e.parentPath ?? e.path, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return { files, bytes };
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export async function listObjects(store: CacheStore): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const shard of await listDir(store.objectsDir)) {
    for (const name of await listDir(path.join(store.objectsDir, shard))) {
      try {
        out.set(name, (await stat(path.join(store.objectsDir, shard, name))).size);
      } catch {
        // removed meanwhile
      }
    }
  }
  return out;
}

export async function listStates(store: CacheStore): Promise<CacheUsage['pipelines']> {
  const out: CacheUsage['pipelines'] = [];
  for (const name of (await listDir(store.stateDir)).filter((n) => n.endsWith('.json'))) {
    const state = await store.readSealed<PipelineState>(path.join(store.stateDir, name), 'pipeline state');
    if (state) out.push({ id: name.slice(0, -5), file: state.pipeline, exists: existsSync(state.pipeline), state });
  }
  return out;
}

export async function listHistory(store: CacheStore): Promise<HistoryRecord[]> {
  const names = (await listDir(store.historyDir)).filter((n) => n.endsWith('.json')).sort();
  const out: HistoryRecord[] = [];
  for (const n of names) {
    const h = await store.readSealed<HistoryRecord>(path.join(store.historyDir, n), 'history record');
    if (h) out.push(h);
  }
  return out;
}

export async function cacheUsage(store: CacheStore): Promise<CacheUsage> {
  const objects = await listObjects(store);
  let records = 0;
  let recordBytes = 0;
  const keys = await listDir(store.runsDir);
  for (const key of keys) {
    for (const n of await listDir(path.join(store.runsDir, key))) {
      records++;
      recordBytes += (await stat(path.join(store.runsDir, key, n)).catch(() => ({ size: 0 }))).size;
    }
  }
  const data = await folderUsage(store.dataDir);
  return {
    dataFiles: data.files,
    dataBytes: data.bytes,
    objects: objects.size,
    objectBytes: [...objects.values()].reduce((a, b) => a + b, 0),
    keys: keys.length,
    records,
    recordBytes,
    history: (await listDir(store.historyDir)).length,
    pipelines: await listStates(store),
  };
}

export interface GcResult {
  keptKeys: number;
  removedKeys: number;
  removedRecords: number;
  removedObjects: number;
  removedStates: string[];
  bytesFreed: number;
  bytesKept: number;
}

export interface GcOptions {
  keepRuns: number;
  dryRun: boolean;
  /** Also remove the results of steps without an output file (see above). */
  dropIntermediate?: boolean;
}

export async function collectGarbage(store: CacheStore, statCache: StatCache, opts: GcOptions): Promise<GcResult> {
  const keep = new Set<string>();
  const removedStates: string[] = [];
  for (const p of await listStates(store)) {
    if (!p.exists) {
      removedStates.push(p.file);
      if (!opts.dryRun) await rm(store.statePath(p.id), { force: true });
      continue;
    }
    for (const s of Object.values(p.state.steps)) keep.add(s.key);
  }
  const history = await listHistory(store);
  for (const h of history.slice(Math.max(0, history.length - opts.keepRuns))) {
    for (const s of Object.values(h.steps)) keep.add(s.key);
  }

  let bytesFreed = 0;
  let removedKeys = 0;
  let removedRecords = 0;
  const referenced = new Set<string>();
  for (const key of await listDir(store.runsDir)) {
    const dir = path.join(store.runsDir, key);
    const names = await listDir(dir);
    if (keep.has(key)) {
      const records: RunRecord[] = [];
      for (const n of names) {
        const rec = await store.readSealed<RunRecord>(path.join(dir, n), 'run record');
        if (rec) records.push(rec);
      }
      const intermediate = records.every((r) => Object.values(r.outputs).every((o) => o.storage !== 'file'));
      if (!(opts.dropIntermediate && intermediate)) {
        for (const rec of records) for (const o of Object.values(rec.outputs)) referenced.add(o.digest);
        continue;
      }
      keep.delete(key);
    }
    removedKeys++;
    removedRecords += names.length;
    for (const n of names) bytesFreed += (await stat(path.join(dir, n)).catch(() => ({ size: 0 }))).size;
    if (!opts.dryRun) await rm(dir, { recursive: true, force: true });
  }
  // Early-cutoff notes whose execution is gone.
  for (const name of await listDir(store.cutoffDir)) {
    const file = path.join(store.cutoffDir, name);
    const note = await store.readSealed<{ layout: number; key: string }>(file, 'cutoff note');
    if (note && keep.has(note.key)) continue;
    if (!opts.dryRun) await rm(file, { force: true });
  }
  let removedObjects = 0;
  let bytesKept = 0;
  for (const [digest, size] of await listObjects(store)) {
    if (referenced.has(digest)) {
      bytesKept += size;
      continue;
    }
    removedObjects++;
    bytesFreed += size;
    if (!opts.dryRun) await rm(store.objectPath(digest), { force: true });
  }
  if (!opts.dryRun) {
    for (const name of await listDir(store.tmpDir)) await rm(path.join(store.tmpDir, name), { recursive: true, force: true });
    for (const p of statCache.paths()) if (!existsSync(p)) statCache.forget(p);
    await statCache.save();
  }
  return { keptKeys: keep.size, removedKeys, removedRecords, removedObjects, removedStates, bytesFreed, bytesKept };
}

/** Removes everything in the cache folder but the lock; returns the bytes freed. */
export async function clearCache(store: CacheStore): Promise<{ removed: number; stillLinked: number }> {
  const usage = await cacheUsage(store);
  // An object that an output file links to keeps its space until that file goes too.
  let stillLinked = 0;
  for (const [digest, size] of await listObjects(store)) {
    const st = await stat(store.objectPath(digest)).catch(() => undefined);
    if (st && st.nlink > 1) stillLinked += size;
  }
  for (const d of [store.objectsDir, store.runsDir, store.stateDir, store.historyDir, store.cutoffDir, store.tmpDir, store.dataDir]) await rm(d, { recursive: true, force: true });
  await rm(store.statCacheFile, { force: true });
  await store.init();
  return { removed: usage.objectBytes + usage.recordBytes + usage.dataBytes, stillLinked };
}
