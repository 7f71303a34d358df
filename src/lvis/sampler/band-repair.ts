/**
 * The density band's last resort: swaps that bring a finished subset back inside the band.
 *
 * The greedy keeps the subset inside the band at every pick (density-band.ts), but it can be
 * cornered near the end: when the images with counts in some middle range are at the band's
 * upper edge while the counts below that range are at its lower edge, every count either
 * raises the first or lowers the second, and the subset drifts out by a hair per pick
 * (measured once in 15 full-scale runs: KS 0.0504 at 20,000 images for a band of 0.05). This
 * phase then swaps images while that lowers the band's excess: each time the pair of
 * annotation counts (one selected, one not) whose swap leaves the least excess, and of the
 * images with those counts, the pair that raises the objective least (the first `SAMPLE` of
 * each, in index order; a selected image that is the last of a category is never swapped out).
 */
import type { CoverTracker } from './cover.js';
import type { ObjectiveState } from './objective.js';

const SAMPLE = 32;

export interface BandRepair {
  swaps: number;
  /** The band's excess before and after. */
  before: number;
  after: number;
}

/** Swaps images of `order` in place (the new image takes the old one's place). */
export function repairBand(state: ObjectiveState, order: number[], tracker: CoverTracker | undefined, maxSwaps = 10_000): BandRepair {
  const band = state.band!;
  const result: BandRepair = { swaps: 0, before: band.current(), after: 0 };
  let excess = result.before;
  while (excess > 0 && result.swaps < maxSwaps) {
    const pair = bestCounts(state, excess);
    if (!pair) break;
    const swap = bestImages(state, order, tracker, pair);
    if (!swap) break;
    state.remove(swap.out);
    state.add(swap.into);
    tracker?.onRemove(swap.out);
    tracker?.onAdd(swap.into);
    order[order.indexOf(swap.out)] = swap.into;
    result.swaps++;
    excess = band.current();
  }
  result.after = excess;
  return result;
}

/** The (out, in) annotation counts whose swap leaves the least excess, if below `current`. */
function bestCounts(state: ObjectiveState, current: number): { out: number; into: number } | undefined {
  const band = state.band!;
  const { available } = unselectedByCount(state);
  let best: { out: number; into: number } | undefined;
  let least = current;
  for (let out = 1; out < available.length; out++) {
    if (band.selectedWith(out) === 0) continue;
    band.prepareSwap(out);
    for (let into = 1; into < available.length; into++) {
      if (available[into]! > 0 && band.excess[into]! < least) {
        least = band.excess[into]!;
        best = { out, into };
      }
    }
  }
  return best;
}

/** Unselected candidates per annotation count. */
function unselectedByCount(state: ObjectiveState): { available: Int32Array } {
  const count = state.p.density.count;
  let max = 0;
  for (const i of state.p.candidates) max = Math.max(max, count[i]!);
  const available = new Int32Array(max + 1);
  for (const i of state.p.candidates) if (!state.selected[i]) available[count[i]!]!++;
  return { available };
}

/** Of the images with the two counts, the swap that raises J least (see the header). */
function bestImages(
  state: ObjectiveState,
  order: number[],
  tracker: CoverTracker | undefined,
  pair: { out: number; into: number },
): { out: number; into: number } | undefined {
  const count = state.p.density.count;
  const outs: number[] = [];
  for (const i of order) {
    if (outs.length >= SAMPLE) break;
    if (count[i] === pair.out && !tracker?.isLastCover(i)) outs.push(i);
  }
  const ins: number[] = [];
  for (const i of state.p.candidates) {
    if (ins.length >= SAMPLE) break;
    if (!state.selected[i] && count[i] === pair.into) ins.push(i);
  }
  let best: { out: number; into: number } | undefined;
  let least = Infinity;
  for (const j of outs) {
    for (const i of ins) {
      const d = state.swapDelta(j, i);
      if (d < least) (least = d), (best = { out: j, into: i });
    }
  }
  return best;
}
