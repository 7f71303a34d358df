/**
 * The `lvis.dataset` artifact kind: a Dataset as one binary buffer, so that the runner's cache
 * reloads LVIS train (1.27M annotations) in a fraction of a second.
 *
 * Layout (little-endian):
 *   0   8 bytes  magic "LVISDS01"
 *   8   u32      header length H (bytes of UTF-8 JSON)
 *   12  u32      0
 *   16  H bytes  header: counts, strings (names, raw JSON text), and for every typed array its
 *                name, type, byte offset and element count
 *   ... the typed arrays, each starting at a multiple of 8
 *
 * decode() returns typed arrays that are views on the given bytes (no copy) whenever their
 * offsets are aligned for their element type, which they are when the bytes start at an aligned
 * address (as a freshly read file buffer does); otherwise it copies.
 */
import type { Dataset, RawJson } from './dataset.js';

const MAGIC = 'LVISDS01';
const FORMAT_VERSION = 1;

type ArrayType = 'f64' | 'i32' | 'u8';
type Typed = Float64Array | Int32Array | Uint8Array;

const CTOR = { f64: Float64Array, i32: Int32Array, u8: Uint8Array } as const;

/** Every typed array of a Dataset, by a stable name. */
function arraysOf(ds: Dataset): [string, ArrayType, Typed][] {
  const { categories: c, images: i, annotations: a } = ds;
  return [
    ['categories.id', 'f64', c.id],
    ['categories.tier', 'u8', c.tier],
    ['categories.imageCount', 'f64', c.imageCount],
    ['categories.instanceCount', 'f64', c.instanceCount],
    ['images.id', 'f64', i.id],
    ['images.width', 'f64', i.width],
    ['images.height', 'f64', i.height],
    ['images.negCategories.offsets', 'i32', i.negCategories.offsets],
    ['images.negCategories.values', 'i32', i.negCategories.values],
    ['images.notExhaustiveCategories.offsets', 'i32', i.notExhaustiveCategories.offsets],
    ['images.notExhaustiveCategories.values', 'i32', i.notExhaustiveCategories.values],
    ['images.byteStart', 'f64', i.byteStart],
    ['images.byteEnd', 'f64', i.byteEnd],
    ['images.annOffsets', 'i32', i.annOffsets],
    ['images.annIndex', 'i32', i.annIndex],
    ['annotations.id', 'f64', a.id],
    ['annotations.image', 'i32', a.image],
    ['annotations.category', 'i32', a.category],
    ['annotations.bbox', 'f64', a.bbox],
    ['annotations.area', 'f64', a.area],
    ['annotations.iscrowd', 'u8', a.iscrowd],
    ['annotations.byteStart', 'f64', a.byteStart],
    ['annotations.byteEnd', 'f64', a.byteEnd],
  ];
}

interface Header {
  version: number;
  source: Dataset['source'];
  extra: RawJson[];
  topLevelOrder: string[];
  counts: { categories: number; images: number; annotations: number };
  categoryNames: string[];
  categoryRaw: string[];
  arrays: [name: string, type: ArrayType, byteOffset: number, length: number][];
}

const align8 = (n: number) => (n + 7) & ~7;

export function encodeDataset(ds: Dataset): Uint8Array {
  const arrays = arraysOf(ds);
  const header: Header = {
    version: FORMAT_VERSION,
    source: ds.source,
    extra: ds.extra,
    topLevelOrder: ds.topLevelOrder,
    counts: { categories: ds.categories.count, images: ds.images.count, annotations: ds.annotations.count },
    categoryNames: ds.categories.name,
    categoryRaw: ds.categories.raw,
    arrays: [],
  };
  // Offsets depend on the header's length, which depends on the offsets: lay the arrays out
  // relative to the data start first, then shift them by the (padded) header length.
  let rel = 0;
  for (const [name, type, arr] of arrays) {
    header.arrays.push([name, type, rel, arr.length]);
    rel = align8(rel + arr.byteLength);
  }
  let headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  let dataStart = 0;
  for (;;) {
    dataStart = align8(16 + headerBytes.length);
    const shifted: Header = { ...header, arrays: header.arrays.map(([n, t, o, l]) => [n, t, o + dataStart, l]) };
    const next = Buffer.from(JSON.stringify(shifted), 'utf8');
    if (align8(16 + next.length) === dataStart) {
      headerBytes = next;
      break;
    }
    headerBytes = next;
  }
  const out = new Uint8Array(dataStart + rel);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 16);
  // The padding after the header must be spaces so that the header stays valid JSON if read up to dataStart.
  out.fill(0x20, 16 + headerBytes.length, dataStart);
  let at = dataStart;
  for (const [, , arr] of arrays) {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), at);
    at = align8(at + arr.byteLength);
  }
  return out;
}

export function decodeDataset(bytes: Uint8Array): Dataset {
  if (bytes.byteLength < 16 || Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1') !== MAGIC) {
    throw new Error('lvis.dataset: not an encoded dataset (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 16, headerLength).toString('utf8')) as Header;
  if (header.version !== FORMAT_VERSION) throw new Error(`lvis.dataset: format version ${header.version}, expected ${FORMAT_VERSION}`);
  const got = new Map<string, Typed>();
  for (const [name, type, offset, length] of header.arrays) {
    const Ctor = CTOR[type];
    const size = Ctor.BYTES_PER_ELEMENT;
    if (offset + length * size > bytes.byteLength) throw new Error(`lvis.dataset: array ${name} runs past the end of the data`);
    const address = bytes.byteOffset + offset;
    got.set(name, address % size === 0 ? new Ctor(bytes.buffer as ArrayBuffer, address, length) : new Ctor(bytes.slice(offset, offset + length * size).buffer, 0, length));
  }
  const f64 = (n: string) => got.get(n) as Float64Array;
  const i32 = (n: string) => got.get(n) as Int32Array;
  const u8 = (n: string) => got.get(n) as Uint8Array;
  return {
    source: header.source,
    extra: header.extra,
    topLevelOrder: header.topLevelOrder,
    categories: {
      count: header.counts.categories,
      id: f64('categories.id'),
      name: header.categoryNames,
      tier: u8('categories.tier'),
      imageCount: f64('categories.imageCount'),
      instanceCount: f64('categories.instanceCount'),
      raw: header.categoryRaw,
    },
    images: {
      count: header.counts.images,
      id: f64('images.id'),
      width: f64('images.width'),
      height: f64('images.height'),
      negCategories: { offsets: i32('images.negCategories.offsets'), values: i32('images.negCategories.values') },
      notExhaustiveCategories: { offsets: i32('images.notExhaustiveCategories.offsets'), values: i32('images.notExhaustiveCategories.values') },
      byteStart: f64('images.byteStart'),
      byteEnd: f64('images.byteEnd'),
      annOffsets: i32('images.annOffsets'),
      annIndex: i32('images.annIndex'),
    },
    annotations: {
      count: header.counts.annotations,
      id: f64('annotations.id'),
      image: i32('annotations.image'),
      category: i32('annotations.category'),
      bbox: f64('annotations.bbox'),
      area: f64('annotations.area'),
      iscrowd: u8('annotations.iscrowd'),
      byteStart: f64('annotations.byteStart'),
      byteEnd: f64('annotations.byteEnd'),
    },
  };
}

