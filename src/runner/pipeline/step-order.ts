/** The order steps run in, and the cycles that make one impossible. */
import type { ResolvedStep } from './types.js';

/**
 * Every cycle in the step graph, each as a list of step ids in data-flow order (each
 * step reads from the one before it, the first reads from the last). One cycle per
 * strongly connected component (Tarjan), found by a walk inside that component.
 */
export function findCycles(ids: readonly string[], steps: ReadonlyMap<string, ResolvedStep>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  const readers = (id: string) => ids.filter((r) => steps.get(r)?.deps.includes(id)); // edges id → reader
  const strong = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of readers(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      sccs.push(scc);
    }
  };
  for (const id of ids) if (steps.has(id) && !index.has(id)) strong(id);
  const cycles: string[][] = [];
  for (const scc of sccs) {
    const members = new Set(scc);
    const start = ids.find((id) => members.has(id))!;
    if (scc.length === 1 && !steps.get(start)!.deps.includes(start)) continue;
    // Walk readers inside the component until we return to the start (BFS for the shortest).
    const prev = new Map<string, string>();
    const queue = [start];
    let found = false;
    while (queue.length && !found) {
      const v = queue.shift()!;
      for (const w of readers(v).filter((r) => members.has(r))) {
        if (w === start) {
          prev.set(start, v);
          found = true;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle: string[] = [];
    let cur = prev.get(start)!;
    while (cur !== start) {
      cycle.unshift(cur);
      cur = prev.get(cur)!;
    }
    cycle.unshift(start);
    cycles.push(cycle);
  }
  return cycles;
}

/** Kahn's algorithm; among ready steps, the one written first in the file goes first. */
export function topoOrder(ids: readonly string[], steps: ReadonlyMap<string, ResolvedStep>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const pending = ids.filter((id) => steps.has(id));
  while (pending.length) {
    const i = pending.findIndex((id) => steps.get(id)!.deps.every((d) => done.has(d)));
    if (i < 0) throw new Error('topoOrder: cycle (should have been reported)');
    const [id] = pending.splice(i, 1);
    order.push(id!);
    done.add(id!);
  }
  return order;
}
