/**
 * Growable typed-array columns that the record parsers fill: one per field, no object per
 * record, so that 1.27M annotations cost a few typed arrays rather than 1.27M objects.
 */

/** A typed array of at least `need` elements holding a's values (a itself if large enough; else doubled). */
function grow<T extends Float64Array | Int32Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = Math.max(1024, a.length);
  while (n < need) n *= 2;
  return resized(a, n);
}

function resized<T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number): T {
  const Ctor = a.constructor as (new (n: number) => T) & (new (buffer: ArrayBuffer, offset: number, length: number) => T) & { BYTES_PER_ELEMENT: number };
  // Large columns come from Buffer.allocUnsafe: no memset of memory that is about to be
  // written anyway (a large unpooled Buffer has its own, aligned ArrayBuffer).
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  const b = bytes >= 1 << 16 ? new Ctor(Buffer.allocUnsafe(bytes).buffer as ArrayBuffer, 0, n) : new Ctor(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}

/**
 * New capacity for slot i: the expected record count when known (plus 5%; never more than 64x
 * the current capacity, in case the estimate is far off), else double. At LVIS train scale this
 * saves both the copies and the half-empty tail of plain doubling (peak memory). An estimate
 * that is too high costs address space, not memory: pages never written are never touched.
 */
function capacityFor(i: number, capacity: number, expected: number): number {
  const doubled = Math.max(1024, 2 * capacity);
  if (expected <= i) return Math.max(doubled, i + 1);
  return Math.max(i + 1024, Math.min(Math.ceil(expected * 1.05), 64 * Math.max(1024, capacity)));
}

/** Annotation columns while scanning; ids of images and categories are resolved afterwards. */
export class AnnotationColumns {
  count = 0;
  id = new Float64Array(0);
  imageId = new Float64Array(0);
  categoryId = new Float64Array(0);
  bbox = new Float64Array(0);
  area = new Float64Array(0);
  iscrowd = new Uint8Array(0);
  byteStart = new Float64Array(0);
  byteEnd = new Float64Array(0);

  /** Expected number of records (from the bytes read so far), or 0: sizes growth to avoid repeated copies. */
  expected = 0;

  /** Makes room for slot `i`. */
  reserve(i: number): void {
    if (i < this.id.length) return;
    this.id = grow(this.id, capacityFor(i, this.id.length, this.expected));
    const n = this.id.length;
    this.imageId = resized(this.imageId, n);
    this.categoryId = resized(this.categoryId, n);
    this.bbox = resized(this.bbox, 4 * n);
    this.area = resized(this.area, n);
    this.iscrowd = resized(this.iscrowd, n);
    this.byteStart = resized(this.byteStart, n);
    this.byteEnd = resized(this.byteEnd, n);
  }
}

/** A CSR list of numbers per record, appended record by record. */
export class IdLists {
  /** offsets[i] .. offsets[i+1] are record i's values; offsets[0] = 0. */
  offsets = new Int32Array(1024);
  values = new Float64Array(1024);
  /** Start writing record i's list (overwriting a failed attempt). */
  begin(i: number): number {
    this.offsets = grow(this.offsets, i + 2);
    return this.offsets[i]!;
  }
  push(at: number, v: number): void {
    if (at >= this.values.length) this.values = grow(this.values, at + 1);
    this.values[at] = v;
  }
  end(i: number, at: number): void {
    this.offsets[i + 1] = at;
  }
}

export class ImageColumns {
  count = 0;
  id = new Float64Array(0);
  width = new Float64Array(0);
  height = new Float64Array(0);
  byteStart = new Float64Array(0);
  byteEnd = new Float64Array(0);
  neg = new IdLists();
  notExhaustive = new IdLists();

  /** See AnnotationColumns.expected. */
  expected = 0;

  reserve(i: number): void {
    if (i < this.id.length) return;
    this.id = grow(this.id, capacityFor(i, this.id.length, this.expected));
    const n = this.id.length;
    this.width = resized(this.width, n);
    this.height = resized(this.height, n);
    this.byteStart = resized(this.byteStart, n);
    this.byteEnd = resized(this.byteEnd, n);
  }
}

