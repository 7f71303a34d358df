/**
 * Many masks kept as pycocotools' compressed counts strings, 1–2 bytes per run instead of 4 for
 * a run as a 32-bit integer (about 100 bytes for a detectron2 mask), in fixed chunks so that
 * growing never copies what is stored: 1M detection masks take ~100 MB and never exist as
 * bitmaps. A mask is decoded to its counts only when its IoUs are computed.
 */
import { rleFrStringInto } from './rle-string.js';

const CHUNK_BYTES = 16 << 20;

export class RleStore {
  private chunks: Buffer[] = [];
  private used = CHUNK_BYTES;
  /** Per mask: its chunk, start and length. */
  private chunk = new Int32Array(1024);
  private start = new Int32Array(1024);
  private length = new Int32Array(1024);
  private n = 0;

  get count(): number {
    return this.n;
  }

  /** Total bytes of the stored strings. */
  get bytes(): number {
    return this.chunks.length === 0 ? 0 : (this.chunks.length - 1) * CHUNK_BYTES + this.used;
  }

  /** Stores the compressed string s[start, end) (already checked by rleFrString) as mask `count`; returns its index. */
  add(s: Uint8Array, start: number, end: number): number {
    const len = end - start;
    if (this.used + len > CHUNK_BYTES) {
      this.chunks.push(Buffer.allocUnsafe(Math.max(CHUNK_BYTES, len)));
      this.used = 0;
    }
    const c = this.chunks.length - 1;
    this.chunks[c]!.set(s.subarray(start, end), this.used);
    if (this.n === this.chunk.length) this.grow();
    this.chunk[this.n] = c;
    this.start[this.n] = this.used;
    this.length[this.n] = len;
    this.used += len;
    return this.n++;
  }

  /** Bytes of mask i's string (a view, valid while the store lives). */
  string(i: number): Buffer {
    const s = this.start[i]!;
    return this.chunks[this.chunk[i]!]!.subarray(s, s + this.length[i]!);
  }

  /** An upper bound of mask i's number of counts (its string's length). */
  maxCounts(i: number): number {
    return this.length[i]!;
  }

  /** Decodes mask i into out[at ..] (room for maxCounts(i)); returns its number of counts. */
  decodeInto(i: number, out: Uint32Array, at: number): number {
    const s = this.start[i]!;
    return rleFrStringInto(this.chunks[this.chunk[i]!]!, s, s + this.length[i]!, out, at);
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
