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
import type { LoadedConfig } from '../config.js';
import { Executor } from '../runner/exec/executor.js';
import type { StatCache } from '../runner/cache/file-digests.js';
import { createReporter } from '../runner/reporters/reporter.js';
import type { Reporter } from '../runner/reporters/describe.js';
import { parseJobs } from './common.js';
import { UsageError } from './args.js';
import { CacheLock } from '../runner/cache/lock.js';
import { cacheWriteError } from '../runner/cache/cache-problems.js';
import { lockOutputFolders } from '../runner/exec/output-locks.js';
import { CacheStore } from '../runner/cache/store.js';

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
  opts: { lockTimeoutS: number; command: string; notice(message: string): void; outputFolders?: readonly string[] },
): Promise<Session> {
  const store = new CacheStore(cacheDir);
  await store.init();
  const controller = new AbortController();
  const lock = new CacheLock(store.lockFile, opts.command);
  let outputLocks: CacheLock[] = [];
  const releaseAll = () => {
    for (const l of outputLocks) l.release();
    lock.release();
  };
  let interruptedBy: NodeJS.Signals | undefined;
  const onExit = () => releaseAll();
  const onSignal = (sig: NodeJS.Signals) => {
    if (interruptedBy) {
      // Second signal: stop now.
      releaseAll();
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
    releaseAll();
    if (env.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    }
  };
  try {
    const lockOptions = { timeoutMs: opts.lockTimeoutS * 1000, onMessage: opts.notice, signal: controller.signal, command: opts.command };
    await lock.acquire(lockOptions).catch((err: unknown) => {
      throw cacheWriteError(err, store.root, 'taking its lock') ?? err;
    });
    outputLocks = await lockOutputFolders(opts.outputFolders ?? [], lockOptions);
  } catch (err) {
    close();
    throw err;
  }
  // We hold the lock: anything in tmp/, and a stat cache's temp file, is a leftover of a killed run.
  for (const name of await readdir(store.tmpDir).catch(() => [] as string[])) {
    await rm(path.join(store.tmpDir, name), { recursive: true, force: true });
  }
  for (const name of await readdir(store.root).catch(() => [] as string[])) {
    if (/^statcache\.json\..*\.tmp$/.test(name)) await rm(path.join(store.root, name), { force: true });
  }
  return {
    store,
    statCache: store.statCache,
    signal: controller.signal,
    interruptedBy: () => interruptedBy,
    close,
  };
}

export function interruptExitCode(sig: NodeJS.Signals | undefined): number {
  return sig === 'SIGTERM' ? 143 : 130;
}

/** Flags shared by the commands that execute a pipeline (run, sweep). */
export interface ExecutionFlags {
  jobs?: string;
  'lock-timeout'?: string;
  'no-workers'?: boolean;
  quiet?: boolean;
  json?: boolean;
}

export interface ExecutionSession {
  reporter: Reporter;
  notice(message: string): void;
  session: Session;
  executor: Executor;
  jobs: number;
}

/**
 * What `run` and `sweep` both set up before executing: the reporter for the output mode, the
 * locked session on the cache folder and on the folders the run writes to (`outputFolders`),
 * and an executor wired to both. Close with
 * `reporter.close()` and `session.close()`.
 */
export async function openExecution(
  env: CliEnv,
  cacheDir: string,
  config: LoadedConfig,
  values: ExecutionFlags,
  command: string,
  outputFolders: readonly string[],
): Promise<ExecutionSession> {
  const jobs = parseJobs(values.jobs, config);
  const lockTimeoutS = values['lock-timeout'] !== undefined ? Number(values['lock-timeout']) : (config.config.lockTimeout ?? DEFAULT_LOCK_TIMEOUT_S);
  if (!Number.isFinite(lockTimeoutS) || lockTimeoutS < 0) throw new UsageError(`--lock-timeout must be a number of seconds, got ${values['lock-timeout']}`);
  const reporter = await createReporter({
    mode: values.json ? 'json' : values.quiet ? 'quiet' : env.interactive ? 'tty' : 'plain',
    stdout: env.stdout,
    stderr: env.stderr,
  });
  const notice = (message: string) => reporter.event({ type: 'notice', message });
  const session = await openSession(env, cacheDir, { lockTimeoutS, command, notice, outputFolders });
  const executor = new Executor({
    store: session.store,
    statCache: session.statCache,
    registry: env.registry,
    jobs,
    signal: session.signal,
    emit: (e) => reporter.event(e),
    workers: values['no-workers'] ? false : (config.config.workers ?? jobs > 1),
  });
  return { reporter, notice, session, executor, jobs };
}
