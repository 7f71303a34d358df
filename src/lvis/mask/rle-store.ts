/**
 * Many masks kept as pycocotools' compressed counts strings, 1–2 bytes per run instead of 4 for
 * a run as a 32-bit integer (about 100 bytes for a detectron2 mask), in fixed chunks so that
 * growing never copies what is stored: 1M detection masks take ~100 MB and never exist as
 * bitmaps (chunked-spans.ts). A mask is decoded to its counts only when its IoUs are computed.
 *
 * The strings are kept as they stand inside JSON string literals (`\\` for a backslash), so
 * that a detection's mask is copied from the file as it is; `addUnescaped` escapes the others.
 */
import { ChunkedSpans, type ChunkedSpansData } from './chunked-spans.js';
import { rleFrJsonStringInto } from './rle-string.js';

const CHUNK_BYTES = 16 << 20;

export type RleStoreData = ChunkedSpansData<Uint8Array>;

export class RleStore {
  // Shared memory: mask AP's second thread scores a share of the categories with these masks (gt-extras-task.ts).
  private readonly spans: ChunkedSpans<Buffer>;
  private readonly room: { buffer: Buffer; at: number } = { buffer: Buffer.alloc(0), at: 0 };

  constructor(data?: RleStoreData) {
    const chunks = data?.chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    this.spans = new ChunkedSpans<Buffer>(CHUNK_BYTES, (n) => Buffer.from(new SharedArrayBuffer(n)), data && chunks ? { ...data, chunks } : undefined);
  }

  /** The store's data, to give it to another thread (postMessage; the strings are shared, not copied). */
  toMessage(): RleStoreData {
    return this.spans.data();
  }

  get count(): number {
    return this.spans.count;
  }

  /** Total bytes of the stored strings. */
  get bytes(): number {
    return this.spans.size;
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

  /**
   * Copies s[start, end) into the store's free room, to commit (or not) as the next mask; the
   * room, as reserve() gives it. The copy starts at the same address modulo 8 as its source:
   * V8 copies into shared memory with relaxed atomic loads and stores, a word at a time when
   * source and target are so aligned and a byte at a time otherwise (measured on 95k strings of
   * 200–400 bytes, their pages already touched: 18 ms unaligned, 9 ms aligned). Up to 7 bytes
   * are left unused before the string.
   */
  copyIn(s: Uint8Array, start: number, end: number): { buffer: Buffer; at: number } {
    const { chunk, at } = this.spans.room(end - start, s.byteOffset + start, 8); // (a chunk's own offset is 0, and its memory 8-aligned)
    chunk.set(s.subarray(start, end), at);
    this.room.buffer = chunk;
    this.room.at = at;
    return this.room;
  }

  /** Room for a string of up to `len` bytes, to write at buffer[at ..] and then commit (or not); the object is reused. */
  reserve(len: number): { buffer: Buffer; at: number } {
    const { chunk, at } = this.spans.room(len);
    this.room.buffer = chunk;
    this.room.at = at;
    return this.room;
  }

  /** Keeps the `len` bytes written to the reserved room as the next mask; returns its index. */
  commit(len: number): number {
    return this.spans.commit(len);
  }

  /** Bytes of mask i's string, JSON-escaped (a view, valid while the store lives). */
  string(i: number): Buffer {
    return this.spans.view(i);
  }

  /** An upper bound of mask i's number of counts (its string's length). */
  maxCounts(i: number): number {
    return this.spans.lengthOf(i);
  }

  /** Mask i's string is chunk(i)[startOf(i), startOf(i) + maxCounts(i)), JSON-escaped (for decoders of their own: mask-iou.ts). */
  chunk(i: number): Uint8Array {
    return this.spans.chunkOf(i);
  }

  startOf(i: number): number {
    return this.spans.startOf(i);
  }

  /** Decodes mask i into out[at ..] (room for maxCounts(i)); returns its number of counts, or -1 (countsProblem says why). */
  decodeInto(i: number, out: Uint32Array, at: number): number {
    const s = this.spans.startOf(i);
    return rleFrJsonStringInto(this.spans.chunkOf(i), s, s + this.spans.lengthOf(i), out, at);
  }
}
