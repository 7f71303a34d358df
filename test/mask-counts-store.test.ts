/**
 * The GT mask store (counts-store.ts): counts packed in 16 bits, those of 65,535 or more in 48,
 * read back exactly; two threads' stores joined into one without copying their masks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CountsStore } from '../src/lvis/mask/counts-store.js';

describe('counts store', () => {
  it('reads back every count, short or long (up to 2^32 - 1), and zero-length runs', () => {
    const store = new CountsStore();
    const masks = [
      [0, 5, 65534, 65535, 65536, 1, 0],
      [4294967295],
      [307200],
      Array.from({ length: 1000 }, (_, i) => (i * 7919) % 200000),
    ].map((m) => Uint32Array.from(m));
    const ids = masks.map((m) => store.add(m));
    assert.equal(store.count, masks.length);
    masks.forEach((m, k) => assert.deepEqual(store.counts(ids[k]!), m));
    assert.equal(store.packed(ids[0]!).length, 7 + 2 * 2, 'two long counts take two more units each');
  });

  it('joins two stores: the second one\'s masks after the first one\'s, as they were', () => {
    const a = new CountsStore();
    const b = new CountsStore();
    a.add(Uint32Array.from([1, 2, 3]));
    b.add(Uint32Array.from([70000, 4]));
    b.add(Uint32Array.from([9]));
    const joined = CountsStore.join(a, b);
    assert.equal(joined.count, 3);
    assert.deepEqual(joined.counts(0), Uint32Array.from([1, 2, 3]));
    assert.deepEqual(joined.counts(1), Uint32Array.from([70000, 4]));
    assert.deepEqual(joined.counts(2), Uint32Array.from([9]));
    const back = CountsStore.fromMessage(structuredClone(joined.toMessage()));
    assert.deepEqual(back.counts(1), Uint32Array.from([70000, 4]), 'through postMessage, as the GT thread sends it');
  });
});
