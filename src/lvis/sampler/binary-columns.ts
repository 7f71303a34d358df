/**
 * A small self-describing binary container for typed-array artifacts (the histograms at
 * full scale are ~1M per-image entries: JSON would be ~10× larger and slow to parse).
 *
 * Layout: "LVC1" magic, u32 header length, UTF-8 JSON header { meta, columns: [{ name,
 * type, length }] }, then each column's bytes, every section starting at a multiple of 8.
 * Little-endian (every platform Node supports).
 */
const MAGIC = 0x3143564c; // "LVC1" read as little-endian u32

type ColumnArray = Int8Array | Uint8Array | Int32Array | Float64Array;
const CTORS = {
  Int8Array,
  Uint8Array,
  Int32Array,
  Float64Array,
} as const;
type ColumnType = keyof typeof CTORS;

const align8 = (n: number) => (n + 7) & ~7;

export function encodeColumns(meta: unknown, columns: Record<string, ColumnArray>): Uint8Array {
  const entries = Object.entries(columns);
  const header = new TextEncoder().encode(
    JSON.stringify({
      meta,
      columns: entries.map(([name, arr]) => ({ name, type: arr.constructor.name, length: arr.length })),
    }),
  );
  let size = align8(8 + header.length);
  for (const [, arr] of entries) size += align8(arr.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.length, true);
  out.set(header, 8);
  let off = align8(8 + header.length);
  for (const [, arr] of entries) {
    out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), off);
    off += align8(arr.byteLength);
  }
  return out;
}

export function decodeColumns<M>(bytes: Uint8Array): { meta: M; columns: Record<string, ColumnArray> } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== MAGIC) {
    throw new Error('not an lvis-pipe column container (bad magic)');
  }
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as {
    meta: M;
    columns: { name: string; type: ColumnType; length: number }[];
  };
  const columns: Record<string, ColumnArray> = {};
  let off = align8(8 + headerLength);
  for (const col of header.columns) {
    const Ctor = CTORS[col.type];
    if (!Ctor) throw new Error(`unknown column type ${col.type}`);
    const byteLength = col.length * Ctor.BYTES_PER_ELEMENT;
    // Copy into a fresh, aligned buffer: `bytes` may sit at any offset of a pooled Buffer.
    const copy = new Uint8Array(byteLength);
    copy.set(bytes.subarray(off, off + byteLength));
    columns[col.name] = new Ctor(copy.buffer);
    off += align8(byteLength);
  }
  return { meta: header.meta, columns };
}
