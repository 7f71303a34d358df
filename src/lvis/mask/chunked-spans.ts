/**
 * Variable-length items (one mask each) written one after another into fixed-size chunks, so
 * that growing never copies what is stored, with a column index of where each item is. The
 * storage under the two mask stores: counts-store.ts (32-bit counts) and rle-store.ts
 * (compressed strings).
 */

import { sharedCopy } from '../../base/shared-copy.js';

type Chunk = Uint8Array | Uint16Array | Uint32Array;

/** A ChunkedSpans' state, as plain data (to move it to another thread). */
export interface ChunkedSpansData<T extends Chunk> {
  chunks: T[];
  chunk: Int32Array;
  start: Int32Array;
  length: Int32Array;
  n: number;
  used: number;
}

export class ChunkedSpans<T extends Chunk> {
  private d: ChunkedSpansData<T>;
  /** room()'s answer, one object reused (it is asked for once per detection). */
  private readonly free: { chunk: T; at: number };

  constructor(
    /** Elements per chunk (an item longer than that gets a chunk of its own). */
    private readonly chunkSize: number,
    private readonly newChunk: (size: number) => T,
    data?: ChunkedSpansData<T>,
  ) {
    this.d = data ?? { chunks: [], chunk: new Int32Array(1024), start: new Int32Array(1024), length: new Int32Array(1024), n: 0, used: chunkSize };
    this.free = { chunk: newChunk(0), at: 0 };
  }

  /** The state, for postMessage: chunks in shared memory are shared; the index is copied (its used part, to shared memory too). */
  data(): ChunkedSpansData<T> {
    const { chunks, chunk, start, length, n, used } = this.d;
    return { chunks, chunk: sharedCopy(chunk, n), start: sharedCopy(start, n), length: sharedCopy(length, n), n, used };
  }

  /** The state of a's items and then b's, in their chunks (not copied); new items go to a new chunk. */
  static join<T extends Chunk>(a: ChunkedSpansData<T>, b: ChunkedSpansData<T>): ChunkedSpansData<T> {
    const n = a.n + b.n;
    const chunk = new Int32Array(Math.max(1, n));
    chunk.set(a.chunk.subarray(0, a.n));
    for (let i = 0; i < b.n; i++) chunk[a.n + i] = b.chunk[i]! + a.chunks.length;
    const cat = (x: Int32Array, y: Int32Array) => {
      const out = new Int32Array(Math.max(1, n));
      out.set(x.subarray(0, a.n));
      out.set(y.subarray(0, b.n), a.n);
      return out;
    };
    return { chunks: [...a.chunks, ...b.chunks], chunk, start: cat(a.start, b.start), length: cat(a.length, b.length), n, used: Infinity };
  }

  get count(): number {
    return this.d.n;
  }

  /** Elements the chunks hold up to the last item (with the gaps left by room()'s `align`). */
  get size(): number {
    return this.d.chunks.length === 0 ? 0 : (this.d.chunks.length - 1) * this.chunkSize + this.d.used;
  }

  /**
   * The chunk, and where in it, to write the next item of up to `len` elements before commit()
   * (the object is reused). With `align` (a power of two), the item starts at an element index
   * ≡ phase (mod align), up to align - 1 elements after the last one (see RleStore.copyIn).
   */
  room(len: number, phase = 0, align = 1): { chunk: T; at: number } {
    let at = this.d.used + ((phase - this.d.used) & (align - 1));
    if (at + len > this.chunkSize) {
      this.d.chunks.push(this.newChunk(Math.max(this.chunkSize, len + align - 1)));
      at = phase & (align - 1);
    }
    this.d.used = at;
    this.free.chunk = this.d.chunks[this.d.chunks.length - 1]!;
    this.free.at = this.d.used;
    return this.free;
  }

  /** Keeps the `len` elements written at room() as the next item; returns its index. */
  commit(len: number): number {
    const d = this.d;
    if (d.n === d.chunk.length) this.grow();
    d.chunk[d.n] = d.chunks.length - 1;
    d.start[d.n] = d.used;
    d.length[d.n] = len;
    d.used += len;
    return d.n++;
  }

  /** Item i (a view, valid while the store lives). */
  view(i: number): T {
    const s = this.d.start[i]!;
    return this.chunkOf(i).subarray(s, s + this.d.length[i]!) as T;
  }

  /** Item i's chunk (read it from startOf(i) for lengthOf(i) elements). */
  chunkOf(i: number): T {
    return this.d.chunks[this.d.chunk[i]!]!;
  }

  startOf(i: number): number {
    return this.d.start[i]!;
  }

  lengthOf(i: number): number {
    return this.d.length[i]!;
  }

  private grow(): void {
    const cap = this.d.chunk.length * 2;
    for (const key of ['chunk', 'start', 'length'] as const) {
      const a = new Int32Array(cap);
      a.set(this.d[key]);
      this.d[key] = a;
    }
  }
}
