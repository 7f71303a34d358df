/**
 * Two runs on different cache folders can write to one output folder at once; each would
 * leave its own files there, and the folder would end up holding a mix of both runs (a
 * 500-image subset beside a 1000-image run's pruned val and plots). The cache lock cannot
 * stop that: it is per cache. So a run also locks every folder it writes outputs to, with
 * the cache's lock (`.lvis-pipe.lock` in the folder: O_EXCL, owner's pid, taken over from a
 * dead owner), in sorted order after the cache lock, so that two runs never wait on each other
 * in a circle. The second writer waits, as for the cache lock, then runs whole.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../../base/display-path.js';
import { pathProblem } from '../../base/fs-problems.js';
import { CacheLock, type LockOptions } from '../cache/lock.js';
import type { Pipeline } from '../pipeline/types.js';

export const OUTPUT_LOCK_NAME = '.lvis-pipe.lock';

/** The folders the pipelines' steps write their output files (and afterRun files, and sync folders) into, plus `extra`. */
export function outputFolders(pipelines: readonly Pipeline[], extra: readonly string[] = []): string[] {
  const dirs = new Set<string>(extra.map((d) => path.resolve(d)));
  for (const p of pipelines) {
    for (const step of p.steps.values()) {
      for (const file of [...Object.values(step.outputPaths), ...Object.values(step.afterRunPaths)]) dirs.add(path.dirname(file));
      // A sync folder is its step's alone (no lock file inside it): the folder holding it is locked.
      for (const dir of Object.values(step.syncPaths)) dirs.add(path.dirname(dir));
    }
  }
  return [...dirs];
}

/**
 * Creates each folder and takes its lock, in the order of their real paths (a folder that
 * cannot be created is passed over). Returns the locks
 * (release them all when the run ends). On failure, the locks taken so far are released.
 */
export async function lockOutputFolders(folders: readonly string[], opts: LockOptions): Promise<CacheLock[]> {
  const real = new Map<string, string>();
  for (const dir of folders) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      // No one can write there: the step that would is told so at its output option (a located
      // error after its result is stored), which says more than a failure here could.
      if (pathProblem(err)) continue;
      throw err;
    }
    real.set(realpathSync(dir), dir);
  }
  const locks: CacheLock[] = [];
  try {
    for (const dir of [...real.keys()].sort()) {
      const lock = new CacheLock(path.join(dir, OUTPUT_LOCK_NAME), opts.command);
      try {
        await lock.acquire({ ...opts, noun: `the lock of the output folder ${displayPath(real.get(dir)!)}` });
      } catch (err) {
        if (pathProblem(err)) continue; // a read-only folder: as above, the step's write says so
        throw err;
      }
      locks.push(lock);
    }
  } catch (err) {
    for (const l of locks) l.release();
    throw err;
  }
  return locks;
}
