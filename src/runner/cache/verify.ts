/**
 * `lvis-pipe cache verify`: every object read and hashed against its name, every sealed JSON
 * file checked, every compiled validator checked. What fails is reported; with `repair` it is
 * moved to quarantine/ (the steps that made it run again next time).
 */
import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from './hash.js';
import { openSealedCode, type CacheProblem } from './integrity.js';
import type { CacheStore } from './store.js';

export interface VerifyResult {
  objects: number;
  objectBytes: number;
  files: number;
  problems: CacheProblem[];
}

async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** Checks the whole cache; `store` is read-only unless the caller holds the lock and repairs. */
export async function verifyCache(store: CacheStore, opts: { signal?: AbortSignal; onObject?: (done: number) => void } = {}): Promise<VerifyResult> {
  const result: VerifyResult = { objects: 0, objectBytes: 0, files: 0, problems: [] };
  const before = store.problems.length;
  // Objects: read every byte; a stat-cache hit would only repeat what was believed before.
  for (const shard of await listDir(store.objectsDir)) {
    for (const name of await listDir(path.join(store.objectsDir, shard))) {
      const file = path.join(store.objectsDir, shard, name);
      const { digest, size } = await sha256File(file, opts.signal);
      result.objects++;
      result.objectBytes += size;
      opts.onObject?.(result.objects);
      if (digest !== name) await store.reject(file, 'object', 'its content does not match its sha256');
      else store.statCache.record(file, statSync(file), digest);
    }
  }
  // Sealed JSON: run records, history, pipeline state, cutoff notes.
  const sealed: [string, string][] = [];
  for (const key of await listDir(store.runsDir)) for (const n of await listDir(path.join(store.runsDir, key))) sealed.push([path.join(store.runsDir, key, n), 'run record']);
  for (const n of await listDir(store.historyDir)) sealed.push([path.join(store.historyDir, n), 'history record']);
  for (const n of await listDir(store.stateDir)) sealed.push([path.join(store.stateDir, n), 'pipeline state']);
  for (const n of await listDir(store.cutoffDir)) sealed.push([path.join(store.cutoffDir, n), 'cutoff note']);
  for (const [file, what] of sealed) {
    result.files++;
    await store.readSealed(file, what);
  }
  // Compiled validators (code that is executed).
  const validators = path.join(store.root, 'validators');
  for (const n of await listDir(validators)) {
    const file = path.join(validators, n);
    result.files++;
    const opened = openSealedCode(await readFile(file, 'utf8').catch(() => ''));
    if ('why' in opened) await store.reject(file, 'compiled validator', opened.why);
  }
  result.problems = store.problems.slice(before);
  return result;
}
