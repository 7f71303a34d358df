/**
 * Many masks kept as pycocotools' compressed counts strings, 1–2 bytes per run instead of 4 for
 * a run as a 32-bit integer (about 100 bytes for a detectron2 mask), in fixed chunks so that
 * growing never copies what is stored: 1M detection masks take ~100 MB and never exist as
 * bitmaps. A mask is decoded to its counts only when its IoUs are computed.
 *
 * The strings are kept as they stand inside JSON string literals (`\\` for a backslash), so
 * that a detection's mask is copied from the file as it is; `addUnescaped` escapes the others.
 */
import { rleFrJsonStringInto } from './rle-string.js';

const CHUNK_BYTES = 16 << 20;

export class RleStore {
  private chunks: Buffer[] = [];
  private used = CHUNK_BYTES;
  /** Per mask: its chunk, start and length. */
  private chunk = new Int32Array(1024);
  private start = new Int32Array(1024);
  private length = new Int32Array(1024);
  private n = 0;
  private readonly room: { buffer: Buffer; at: number } = { buffer: Buffer.alloc(0), at: 0 };

  get count(): number {
    return this.n;
  }

  /** Total bytes of the stored strings. */
  get bytes(): number {
    return this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * CHUNK_BYTES + this.used;
  }

  /** Stores the compressed string s[start, end), plain (not JSON-escaped); returns its index. */
  addUnescaped(s: Uint8Array, start: number, end: number): number {
    const { buffer, at } = this.reserve(2 * (end - start));
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = s[i]!;
      if (c === 0x5c) buffer[at + n++] = 0x5c;
      buffer[at + n++] = c;
    }
    return this.commit(n);
  }

  /** Room for a string of up to `len` bytes, to write at buffer[at ..] and then commit (or not). */
  reserve(len: number): { buffer: Buffer; at: number } {
    if (this.used + len > CHUNK_BYTES) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, len)));
      this.used = 0;
    }
    this.room.buffer = this.chunks[this.chunks.length - 1]!;
    this.room.at = this.used;
    return this.room;
  }

  /** Keeps the `len` bytes written to the reserved room as the next mask; returns its index. */
  commit(len: number): number {
    if (this.n === this.chunk.length) this.grow();
    this.chunk[this.n] = this.chunks.length - 1;
    this.start[this.n] = this.used;
    this.length[this.n] = len;
    this.used += len;
    return this.n++;
  }

  /** Bytes of mask i's string, JSON-escaped (a view, valid while the store lives). */
  string(i: number): Buffer {
    const s = this.start[i]!;
    return this.chunks[this.chunk[i]!]!.subarray(s, s + this.length[i]!);
  }

  /** An upper bound of mask i's number of counts (its string's length). */
  maxCounts(i: number): number {
    return this.length[i]!;
  }

  /** Decodes mask i into out[at ..] (room for maxCounts(i)); returns its number of counts, or -1 (countsProblem says why). */
  decodeInto(i: number, out: Uint32Array, at: number): number {
    const s = this.start[i]!;
    return rleFrJsonStringInto(this.chunks[this.chunk[i]!]!, s, s + this.length[i]!, out, at);
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
