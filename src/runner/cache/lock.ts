/**
 * One lock per cache folder: the file `lock`, created exclusively (O_EXCL), holding the
 * owner's pid, host and start time. The same lock guards each folder a run writes its outputs
 * to (`.lvis-pipe.lock` in it; see session.ts), so that two runs on different caches cannot
 * mix their outputs in one folder. A second process waits (saying who holds it) up to a
 * timeout, then fails with a clear message. A lock whose owner is a dead process on this
 * host is taken over. The owner removes it on exit, Ctrl-C and SIGTERM.
 *
 * Takeover re-reads the lock just before removing it and only removes it if it is still
 * the dead owner's, so two waiters cannot remove each other's fresh lock (the remaining
 * window between that read and the unlink is microseconds).
 */
import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { noteWrite } from '../../base/fs-problems.js';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';


/** Exit status when the cache stays locked by another process: sysexits' EX_TEMPFAIL (try again later). */
export const LOCK_TIMEOUT_EXIT = 75;
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface LockOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Told once when waiting starts, and on takeover. */
  onMessage(message: string): void;
  signal?: AbortSignal;
  pollMs?: number;
  command?: string;
  /** What the lock guards, for messages, naming it (default "the cache lock", then its file's path). */
  noun?: string;
}

export class CacheLock {
  private held = false;
  private readonly me: LockOwner;

  constructor(readonly file: string, command = 'lvis-pipe') {
    this.me = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  }

  /** Reads the current owner, if any (undefined when there is no lock or it is unreadable). */
  static readOwner(file: string): LockOwner | undefined {
    try {
      return ownerOfLink(readlinkSync(file));
    } catch {
      // not a link: the usual lock file
    }
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    } catch {
      return undefined;
    }
  }

  private tryCreate(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    const json = JSON.stringify(this.me);
    try {
      writeSync(fd, json);
      closeSync(fd);
    } catch (err) {
      closeSync(fd);
      unlinkSync(this.file);
      const full = (err as NodeJS.ErrnoException).code === 'ENOSPC' || (err as NodeJS.ErrnoException).code === 'EDQUOT';
      if (!full) throw noteWrite(err, this.file, json.length);
      return this.tryCreateLink();
    }
    this.held = true;
    return true;
  }

  /**
   * On a full disk, where the lock file's content cannot be written (and `cache gc`, which
   * would free space, must still get its lock): the lock as a symbolic link whose short target
   * names the owner. Made in one step, and kept in the inode itself (ext4, xfs, tmpfs store
   * targets of under 60 bytes there), it needs no free block.
   */
  private tryCreateLink(): boolean {
    try {
      symlinkSync(linkTarget(this.me), this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw noteWrite(err, this.file, 0);
    }
    this.held = true;
    return true;
  }

  async acquire(opts: LockOptions): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    const poll = opts.pollMs ?? 200;
    const noun = opts.noun ?? 'the cache lock';
    let told = false;
    for (;;) {
      if (this.tryCreate()) return;
      const owner = CacheLock.readOwner(this.file);
      if (owner && (owner.host === this.me.host || owner.host === shortHost(this.me.host)) && !pidAlive(owner.pid)) {
        const again = CacheLock.readOwner(this.file);
        if (again && again.pid === owner.pid && again.startedAt === owner.startedAt) {
          try {
            unlinkSync(this.file);
          } catch {
            // someone else took it over first
          }
          opts.onMessage(`taking over the lock of ${displayPath(this.file)}: its owner (pid ${owner.pid}, started ${owner.startedAt}) is no longer running`);
        }
        continue;
      }
      if (!owner) {
        // Being written this instant, or garbage left by a crash: wait, then remove it if
        // it is still unreadable and not fresh.
        await sleep(poll, opts.signal);
        try {
          if (CacheLock.readOwner(this.file) === undefined && Date.now() - statSync(this.file).mtimeMs > 2000) unlinkSync(this.file);
        } catch {
          // gone already
        }
        continue;
      }
      if (Date.now() >= deadline) {
        throw new DiagnosticError(
          [
            {
              severity: 'error',
              message:
                `timed out after ${formatMs(opts.timeoutMs)} waiting for ${noun}${opts.noun ? '' : ` ${displayPath(this.file)}`}, held by pid ${owner.pid} on ${owner.host} ` +
                `(${owner.command}) since ${owner.startedAt}. Wait for it to finish, pass --lock-timeout, or, if that process is gone, delete the lock file.`,
            },
          ],
          LOCK_TIMEOUT_EXIT,
        );
      }
      if (!told) {
        told = true;
        opts.onMessage(`waiting for ${noun} held by pid ${owner.pid} on ${owner.host} (${owner.command}) since ${owner.startedAt}…`);
      }
      await sleep(poll, opts.signal);
    }
  }

  /** Removes the lock if this process holds it (sync: safe in exit handlers). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    const owner = CacheLock.readOwner(this.file);
    if (owner && owner.pid === this.me.pid && owner.startedAt === this.me.startedAt) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone
      }
    }
  }

  get isHeld(): boolean {
    return this.held;
  }
}

const LINK_PREFIX = 'lvis-pipe-lock:';

/** The host as a link target holds it: whole when short, else a hash (the target must stay under 60 bytes). */
function shortHost(host: string): string {
  return host.length <= 24 ? host : `#${createHash('sha1').update(host).digest('hex').slice(0, 12)}`;
}

/** `lvis-pipe-lock:<pid>:<start, ms in base 36>:<host>`: at most 59 bytes. */
function linkTarget(o: LockOwner): string {
  return `${LINK_PREFIX}${o.pid}:${Date.parse(o.startedAt).toString(36)}:${shortHost(o.host)}`;
}

function ownerOfLink(target: string): LockOwner | undefined {
  const m = /^lvis-pipe-lock:(\d+):([0-9a-z]+):(.+)$/.exec(target);
  if (!m) return undefined;
  return { pid: Number(m[1]), startedAt: new Date(parseInt(m[2]!, 36)).toISOString(), host: m[3]!, command: 'a command that took the lock on a full disk' };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('interrupted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error('interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}
