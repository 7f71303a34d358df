/**
 * Many masks kept as their run lengths, in fixed chunks so that growing never copies what is
 * stored (chunked-spans.ts). For GT masks, which are made here from polygons: kept decoded
 * (about 200 counts for an LVIS object), they cost almost nothing to read at match time.
 * Detection masks, a hundred times more, stay compressed (rle-store.ts).
 *
 * A count takes 16 bits, or 48 for one of 65,535 or more (0xffff, then its high and low 16
 * bits): runs down a column are shorter than the image is high, and only the background before,
 * between and after an object's columns is longer. Half the memory of 32-bit counts, which
 * matters here: first touching a page costs more than filling it (evaluate-files.ts).
 */
import { ChunkedSpans, type ChunkedSpansData } from './chunked-spans.js';

const CHUNK_UNITS = 8 << 20;

/** The 16-bit unit that says the count's 32 bits follow in two units. */
export const LONG_COUNT = 0xffff;

export type CountsStoreData = ChunkedSpansData<Uint16Array>;

export class CountsStore {
  private readonly spans: ChunkedSpans<Uint16Array>;

  constructor(data?: CountsStoreData) {
    // Shared memory: mask AP's second thread reads the masks the first one draws, and back (gt-extras-task.ts).
    this.spans = new ChunkedSpans(CHUNK_UNITS, (n) => new Uint16Array(new SharedArrayBuffer(2 * n)), data);
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

  /** Stores `counts` (packed); returns its index. */
  add(counts: Uint32Array): number {
    const { chunk, at } = this.spans.room(3 * counts.length);
    return this.spans.commit(packCounts(counts, chunk, at) - at);
  }

  /** Mask i's packed counts (a view, valid while the store lives): read them with unpackCounts, or as mask-iou.ts does. */
  packed(i: number): Uint16Array {
    return this.spans.view(i);
  }

  /** Mask i's counts, unpacked (a new array). */
  counts(i: number): Uint32Array {
    return unpackCounts(this.packed(i));
  }
}

/** Writes `counts` packed into out[at ..] (room for 3 units a count); returns where they end. */
export function packCounts(counts: Uint32Array, out: Uint16Array, at: number): number {
  let n = at;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c < LONG_COUNT) out[n++] = c;
    else {
      out[n++] = LONG_COUNT;
      out[n++] = c >>> 16;
      out[n++] = c & 0xffff;
    }
  }
  return n;
}

/** The counts of packed units. */
export function unpackCounts(u: Uint16Array): Uint32Array {
  const out = new Uint32Array(u.length);
  let m = 0;
  for (let q = 0; q < u.length; ) {
    const c = u[q++]!;
    out[m++] = c === LONG_COUNT ? u[q++]! * 65536 + u[q++]! : c;
  }
  return out.subarray(0, m);
}
