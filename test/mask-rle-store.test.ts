/**
 * The detection mask store (rle-store.ts): strings copied in from a read window at the same
 * address modulo 8 as their source (V8 copies into shared memory a word at a time only so),
 * read back exactly, across chunk boundaries and for strings longer than a chunk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkedSpans } from '../src/lvis/mask/chunked-spans.js';
import { RleStore } from '../src/lvis/mask/rle-store.js';

/** A window of counts-string characters like a detections file's, at an odd offset of its memory. */
function windowOf(n: number): Buffer {
  const mem = Buffer.alloc(n + 3);
  for (let i = 0; i < mem.length; i++) mem[i] = 48 + ((i * 7) % 60);
  return mem.subarray(3);
}

describe('rle store', () => {
  it('copies each string in at its source address modulo 8, and reads every one back as it was', () => {
    const src = windowOf(1 << 16);
    const store = new RleStore();
    const spans: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      const start = (i * 997) % (src.length - 600);
      spans.push([start, start + 1 + ((i * 31) % 500)]);
    }
    const ids = spans.map(([start, end]) => {
      const { buffer, at } = store.copyIn(src, start, end);
      assert.equal((buffer.byteOffset + at) % 8, (src.byteOffset + start) % 8, `string at ${start}`);
      return store.commit(end - start);
    });
    spans.forEach(([start, end], k) => assert.deepEqual(store.string(ids[k]!), src.subarray(start, end)));
  });

  it('keeps items apart across chunks, with an item longer than a chunk in a chunk of its own', () => {
    const spans = new ChunkedSpans<Uint8Array>(64, (n) => new Uint8Array(n));
    const items = [40, 30, 100, 5, 63].map((len, k) => Uint8Array.from({ length: len }, (_, i) => (k * 50 + i) % 256));
    const ids = items.map((item, k) => {
      const { chunk, at } = spans.room(item.length, k + 3, 8);
      assert.equal(at % 8, (k + 3) % 8, `item ${k} starts at its phase`);
      chunk.set(item, at);
      return spans.commit(item.length);
    });
    items.forEach((item, k) => assert.deepEqual(spans.view(ids[k]!), item));
    assert.equal(spans.chunkOf(ids[2]!).length, 100 + 7, 'the long item has a chunk of its own, with room for its alignment');
  });
});
