/**
 * Many masks kept as their run lengths (32-bit counts), in fixed chunks so that growing never
 * copies what is stored. For GT masks, which are made here from polygons: kept decoded (about
 * 100 counts, 400 bytes, for an LVIS object; 0.1 GB for LVIS val), they cost nothing to read
 * at match time. Detection masks, a hundred times more, stay compressed (rle-store.ts).
 */

const CHUNK_COUNTS = 4 << 20;

export interface CountsStoreData {
  chunks: Uint32Array[];
  chunk: Int32Array;
  start: Int32Array;
  length: Int32Array;
  n: number;
  used: number;
}

export class CountsStore {
  private chunks: Uint32Array[] = [];
  private used = CHUNK_COUNTS;
  /** Per mask: its chunk, start and length. */
  private chunk: Int32Array = new Int32Array(1024);
  private start: Int32Array = new Int32Array(1024);
  private length: Int32Array = new Int32Array(1024);
  private n = 0;

  /** The store's data, to move it to another thread (postMessage with `transfer`). */
  toMessage(): { data: CountsStoreData; transfer: ArrayBuffer[] } {
    const data: CountsStoreData = { chunks: this.chunks, chunk: this.chunk, start: this.start, length: this.length, n: this.n, used: this.used };
    return { data, transfer: [...this.chunks, this.chunk, this.start, this.length].map((a) => a.buffer as ArrayBuffer) };
  }

  /** A store from toMessage's data. */
  static fromMessage(d: CountsStoreData): CountsStore {
    const s = new CountsStore();
    s.chunks = d.chunks;
    s.chunk = d.chunk;
    s.start = d.start;
    s.length = d.length;
    s.n = d.n;
    s.used = d.used;
    return s;
  }

  get count(): number {
    return this.n;
  }

  /** Stores a copy of `counts`; returns its index. */
  add(counts: Uint32Array): number {
    const len = counts.length;
    if (this.used + len > CHUNK_COUNTS) {
      this.chunks.push(new Uint32Array(Math.max(CHUNK_COUNTS, len)));
      this.used = 0;
    }
    const c = this.chunks.length - 1;
    const chunk = this.chunks[c]!;
    // A loop: most masks have a few hundred counts, where set() costs more than it copies.
    if (len < 1024) for (let i = 0, o = this.used; i < len; i++) chunk[o + i] = counts[i]!;
    else chunk.set(counts, this.used);
    if (this.n === this.chunk.length) this.grow();
    this.chunk[this.n] = c;
    this.start[this.n] = this.used;
    this.length[this.n] = len;
    this.used += len;
    return this.n++;
  }

  /** Mask i's counts (a view, valid while the store lives). */
  view(i: number): Uint32Array {
    const s = this.start[i]!;
    return this.chunks[this.chunk[i]!]!.subarray(s, s + this.length[i]!);
  }

  private grow(): void {
    const cap = this.chunk.length * 2;
    for (const key of ['chunk', 'start', 'length'] as const) {
      const a = new Int32Array(cap);
      a.set(this[key]);
      this[key] = a;
    }
  }
}
