/**
 * id → index of the record with that id, for the loader and the evaluator: a dense array when
 * the ids are small non-negative integers (LVIS and COCO image and category ids are), else a Map.
 * An id is looked up once or more per record of a multi-million-record file: a Map's get of a
 * double key took about 7% of the detections reader's samples (the lookup, and a string made of
 * the number where it was inlined), an array lookup next to nothing.
 */
export class IdIndex {
  private dense: Int32Array | undefined;
  private map: Map<number, number> | undefined;
  /** Indices of records whose id repeats an earlier one. */
  readonly duplicates: number[] = [];

  constructor(ids: ArrayLike<number>, count: number) {
    let max = -1;
    let small = true;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && Number.isInteger(id))) {
        if (!Number.isNaN(id)) small = false;
        continue;
      }
      if (id > max) max = id;
    }
    if (small && max < Math.max(1 << 22, 8 * count)) {
      const dense = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < count; i++) {
        const id = ids[i]!;
        if (Number.isNaN(id)) continue;
        if (dense[id] !== -1) this.duplicates.push(i);
        else dense[id] = i;
      }
      this.dense = dense;
    } else {
      const map = new Map<number, number>();
      for (let i = 0; i < count; i++) {
        const id = ids[i]!;
        if (Number.isNaN(id)) continue;
        if (map.has(id)) this.duplicates.push(i);
        else map.set(id, i);
      }
      this.map = map;
    }
  }

  /** The index of the (first) record with this id, or -1. */
  get(id: number): number {
    if (this.dense) return id >= 0 && id < this.dense.length && Number.isInteger(id) ? this.dense[id]! : -1;
    return this.map!.get(id) ?? -1;
  }
}
