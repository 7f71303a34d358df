/**
 * Many masks kept as their run lengths (32-bit counts), in fixed chunks so that growing never
 * copies what is stored (chunked-spans.ts). For GT masks, which are made here from polygons:
 * kept decoded (about 100 counts, 400 bytes, for an LVIS object; 0.1 GB for LVIS val), they
 * cost nothing to read at match time. Detection masks, a hundred times more, stay compressed
 * (rle-store.ts).
 */
import { ChunkedSpans, type ChunkedSpansData } from './chunked-spans.js';

const CHUNK_COUNTS = 4 << 20;

export type CountsStoreData = ChunkedSpansData<Uint32Array>;

export class CountsStore {
  private readonly spans: ChunkedSpans<Uint32Array>;

  constructor(data?: CountsStoreData) {
    // Shared memory: mask AP's second thread reads the masks the first one draws, and back (gt-extras-task.ts).
    this.spans = new ChunkedSpans(CHUNK_COUNTS, (n) => new Uint32Array(new SharedArrayBuffer(4 * n)), data);
  }

  /** The store's data, to give it to another thread (postMessage; the masks are shared, not copied). */
  toMessage(): CountsStoreData {
    return this.spans.data();
  }

  /** One store of a's masks and then b's (indices of b's moved by a.count), sharing their memory. */
  static join(a: CountsStore, b: CountsStore): CountsStore {
    return new CountsStore(ChunkedSpans.join(a.spans.data(), b.spans.data()));
  }

  /** A store from toMessage's data. */
  static fromMessage(d: CountsStoreData): CountsStore {
    return new CountsStore(d);
  }

  get count(): number {
    return this.spans.count;
  }

  /** Stores a copy of `counts`; returns its index. */
  add(counts: Uint32Array): number {
    const len = counts.length;
    const { chunk, at } = this.spans.room(len);
    // A loop: most masks have a few hundred counts, where set() costs more than it copies.
    if (len < 1024) for (let i = 0; i < len; i++) chunk[at + i] = counts[i]!;
    else chunk.set(counts, at);
    return this.spans.commit(len);
  }

  /** Mask i's counts (a view, valid while the store lives). */
  view(i: number): Uint32Array {
    return this.spans.view(i);
  }
}
