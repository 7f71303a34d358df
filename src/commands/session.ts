/**
 * A locked session on a cache folder, for commands that write to it (run, sweep, cache gc
 * and clear): opens the store, takes the lock (waiting with a message, taking over a dead
 * owner's), clears leftovers of killed runs from tmp/, and turns Ctrl-C / SIGTERM into an
 * abort of the running steps. The first signal aborts; a second one exits at once. The
 * lock is released on close, on exit, and on a forced exit.
 */
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CliEnv } from '../cli-env.js';
import { StatCache } from '../runner/file-digests.js';
import { CacheLock } from '../runner/lock.js';
import { CacheStore } from '../runner/store.js';

export const DEFAULT_LOCK_TIMEOUT_S = 600;

export interface Session {
  store: CacheStore;
  statCache: StatCache;
  signal: AbortSignal;
  /** The signal that interrupted the session, if any. */
  interruptedBy(): NodeJS.Signals | undefined;
  close(): void;
}

export async function openSession(
  env: CliEnv,
  cacheDir: string,
  opts: { lockTimeoutS: number; command: string; notice(message: string): void },
): Promise<Session> {
  const store = new CacheStore(cacheDir);
  await store.init();
  const controller = new AbortController();
  const lock = new CacheLock(store.lockFile, opts.command);
  let interruptedBy: NodeJS.Signals | undefined;
  const onExit = () => lock.release();
  const onSignal = (sig: NodeJS.Signals) => {
    if (interruptedBy) {
      // Second signal: stop now.
      lock.release();
      process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    }
    interruptedBy = sig;
    opts.notice(`${sig === 'SIGINT' ? 'interrupted' : 'terminated'}: stopping the running steps (again to quit at once)…`);
    controller.abort();
  };
  if (env.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('exit', onExit);
  }
  const close = () => {
    lock.release();
    if (env.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    }
  };
  try {
    await lock.acquire({ timeoutMs: opts.lockTimeoutS * 1000, onMessage: opts.notice, signal: controller.signal, command: opts.command });
  } catch (err) {
    close();
    throw err;
  }
  // We hold the lock: anything in tmp/ is a leftover of a killed run.
  for (const name of await readdir(store.tmpDir).catch(() => [] as string[])) {
    await rm(path.join(store.tmpDir, name), { recursive: true, force: true });
  }
  return {
    store,
    statCache: new StatCache(store.statCacheFile),
    signal: controller.signal,
    interruptedBy: () => interruptedBy,
    close,
  };
}

export function interruptExitCode(sig: NodeJS.Signals | undefined): number {
  return sig === 'SIGTERM' ? 143 : 130;
}
