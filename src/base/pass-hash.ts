/**
 * The sha256 of a file computed from the very bytes a reader reads, in the same pass: the file
 * is read once, for both its content and its digest.
 *
 * sha256 is sequential and costs ~0.5 s per GB on this machine's cores, a good part of a scan.
 * For a large file the hashing runs on a thread of its own (`pass-hash-worker.ts`): the reader
 * reads into buffers backed by SharedArrayBuffers (`alloc`), hands each block to the hashing
 * thread as soon as it is read (`update`, in file order), and before reading into a buffer again
 * waits until the hashing thread is done with it (`released`; it nearly always is, since hashing
 * is faster than scanning). Nothing is copied. Small files are hashed on the reader's thread:
 * starting a thread costs more than hashing them.
 */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Atomics.waitAsync (Node 16+; not in this TS target's lib). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

/** Files from this size on are hashed on a thread of their own. */
export const HASH_THREAD_MIN_BYTES = 32 << 20;

export interface PassHash {
  /** A buffer for the reader to read into (shared with the hashing thread when there is one). */
  alloc(size: number): Buffer;
  /** Hashes `buf[start .. end)` next: blocks must come in file order. */
  update(buf: Buffer, start: number, end: number): void;
  /** Resolves when the hash no longer reads `buf`: wait for it before writing into `buf` again. */
  released(buf: Buffer): Promise<void>;
  /** Whether `buf` is released already (then `released` need not be awaited). */
  isReleased(buf: Buffer): boolean;
  /** The hex sha256 of every byte given to `update`; the hash is closed after. */
  digest(): Promise<string>;
  /** Ends the hashing thread without a digest (on errors). */
  close(): Promise<void>;
}

/** A PassHash for a file of `size` bytes: on its own thread when large enough. */
export function passHash(size: number): PassHash {
  return size >= HASH_THREAD_MIN_BYTES ? new ThreadHash() : new InlineHash();
}

/** Hashing on the caller's thread. */
export class InlineHash implements PassHash {
  private readonly hash: Hash = createHash('sha256');
  alloc(size: number): Buffer {
    return Buffer.allocUnsafe(size);
  }
  update(buf: Buffer, start: number, end: number): void {
    if (end > start) this.hash.update(buf.subarray(start, end));
  }
  released(): Promise<void> {
    return Promise.resolve();
  }
  isReleased(): boolean {
    return true;
  }
  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Messages to the hashing thread (pass-hash-worker.ts). */
export type ToHashThread =
  | { t: 'init'; pending: SharedArrayBuffer }
  | { t: 'buffer'; id: number; sab: SharedArrayBuffer }
  | { t: 'update'; id: number; start: number; end: number }
  | { t: 'bytes'; bytes: Uint8Array }
  | { t: 'digest' };
/** The digest, from it. */
export type FromHashThread = { t: 'digest'; hex: string };

const WORKER_URL = new URL('./pass-hash-worker.js', import.meta.url);
/** Shared buffers per hash (a window uses two or three); more are copied over. */
const MAX_SHARED = 16;

/**
 * Hashing on a worker thread, from shared buffers. Each buffer has a counter of blocks handed
 * over and not hashed yet, in shared memory: the hashing thread decrements it, and the reader
 * checks it without waiting for a message (it is nearly always 0 by the time it is checked).
 */
export class ThreadHash implements PassHash {
  private readonly worker: Worker;
  private readonly ids = new Map<ArrayBufferLike, number>();
  private readonly pending = new Int32Array(new SharedArrayBuffer(4 * MAX_SHARED));
  private onDigest: ((hex: string) => void) | undefined;
  private failure: Error | undefined;
  private failed: ((err: Error) => void) | undefined;

  constructor() {
    // Kept referenced (the digest and the reader's waits depend on it) until `close`, which the
    // reader always calls; its failure is the digest's, never the process's.
    this.worker = new Worker(WORKER_URL);
    this.worker.on('message', (m: FromHashThread) => this.onDigest?.(m.hex));
    const fail = (err: Error) => {
      this.failure ??= err;
      this.failed?.(this.failure);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the hashing thread exited (code ${code})`)));
    this.post({ t: 'init', pending: this.pending.buffer as SharedArrayBuffer });
  }

  alloc(size: number): Buffer {
    if (this.ids.size >= MAX_SHARED) return Buffer.allocUnsafe(size);
    const sab = new SharedArrayBuffer(size);
    const id = this.ids.size;
    this.ids.set(sab, id);
    this.post({ t: 'buffer', id, sab });
    return Buffer.from(sab);
  }

  update(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const id = this.ids.get(buf.buffer);
    if (id === undefined) {
      // Not one of ours (a one-off buffer for a long record): a copy goes over.
      const bytes = Uint8Array.prototype.slice.call(buf, start, end);
      this.post({ t: 'bytes', bytes }, [bytes.buffer as ArrayBuffer]);
      return;
    }
    Atomics.add(this.pending, id, 1);
    this.post({ t: 'update', id, start: buf.byteOffset + start, end: buf.byteOffset + end });
  }

  async released(buf: Buffer): Promise<void> {
    const id = this.ids.get(buf.buffer);
    if (id === undefined) return;
    for (let n = Atomics.load(this.pending, id); n !== 0 && !this.failure; n = Atomics.load(this.pending, id)) {
      const w = waitAsync(this.pending, id, n, 1000);
      if (w.async) await w.value;
    }
  }

  /** Whether `buf` is free now (no wait needed). */
  isReleased(buf: Buffer): boolean {
    const id = this.ids.get(buf.buffer);
    return id === undefined || Atomics.load(this.pending, id) === 0;
  }

  async digest(): Promise<string> {
    if (this.failure) throw this.failure;
    const hex = new Promise<string>((resolve, reject) => {
      this.onDigest = resolve;
      this.failed = reject;
    });
    this.post({ t: 'digest' });
    try {
      return await hex;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the hash was closed');
    this.failed = undefined;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  private post(m: ToHashThread, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(m, transfer);
  }
}
