/**
 * Refinement after the greedy phase (not in the original tool): swap moves that strictly lower the
 * objective J.
 *
 * Each iteration draws one selected image j uniformly, scores swapping it for each of
 * `pool` images drawn from the unselected candidates (or all of them), and applies the best
 * swap if it lowers J by more than 1e-12 relative (so that floating-point noise never counts
 * as progress). Swap deltas are exact and cost O(nnz_i + nnz_j) (objective.ts, swapDelta).
 * The swapped-in image takes the swapped-out one's place in the selection order.
 *
 * With the cover phase on (`cover`), a selected image that is the last one of some category
 * is never swapped out: the draw of j is retried (up to 16 draws, deterministic) until it
 * finds an image that is not a last cover; if all 16 are, the iteration does nothing.
 *
 * Bounds: `iterations` is the deterministic bound. `seconds`, when set, is a time budget
 * that can only cut the work short — with it, how far refinement gets depends on the
 * machine's speed and load, so results are no longer reproducible; leave it unset (the
 * default) for deterministic results.
 */
import { CandidateSet } from './candidate-set.js';
import type { CoverTracker } from './cover.js';
import { emptyTrace, pushTrace, type ObjectiveState, type ObjectiveTrace } from './objective.js';
import type { SeededRandom } from './random.js';

export interface RefineOptions {
  iterations: number;
  /** Optional time budget in seconds (null: none). */
  seconds: number | null;
  pool: number | 'all';
  signal?: AbortSignal;
  onIteration?: (done: number) => void;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
  /** When set, keep every covered category covered (never swap out a last cover). */
  cover?: CoverTracker;
}

const LOCKED_REDRAWS = 16;

export interface RefineResult {
  iterations: number;
  accepted: number;
  /** J(S) and its terms after each iteration. */
  trace: ObjectiveTrace;
  stoppedBy: 'iterations' | 'time' | 'no-candidates';
}

export function refine(
  state: ObjectiveState,
  order: number[],
  rng: SeededRandom,
  opts: RefineOptions,
): RefineResult {
  const p = state.p;
  const result: RefineResult = { iterations: 0, accepted: 0, trace: emptyTrace(), stoppedBy: 'iterations' };
  const inside = CandidateSet.of(p.imageCount, order);
  const outside = new CandidateSet(p.imageCount, p.candidates.length);
  for (const i of p.candidates) if (!state.selected[i]) outside.add(i);
  if (inside.length === 0 || outside.length === 0) {
    if (opts.iterations > 0) result.stoppedBy = 'no-candidates';
    return result;
  }
  const orderPos = new Map<number, number>();
  order.forEach((img, at) => orderPos.set(img, at));

  const now = opts.now ?? (() => performance.now());
  const deadline = opts.seconds === null ? Infinity : now() + opts.seconds * 1000;
  const poolSize = opts.pool === 'all' ? Infinity : opts.pool;
  const annotations = p.density.count;

  for (let it = 0; it < opts.iterations; it++) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (deadline !== Infinity && now() >= deadline) {
      result.stoppedBy = 'time';
      break;
    }
    let j = inside.items[rng.int(inside.length)]!;
    for (let k = 1; opts.cover && k < LOCKED_REDRAWS && opts.cover.isLastCover(j); k++) j = inside.items[rng.int(inside.length)]!;
    if (opts.cover?.isLastCover(j)) {
      result.iterations++;
      pushTrace(result.trace, state);
      opts.onIteration?.(result.iterations);
      continue;
    }
    const m = outside.length <= poolSize ? outside.length : outside.drawToFront(rng, poolSize);
    // With a density band, its excess ranks first; a swap never takes the subset further out of it.
    const band = state.band;
    const before = band ? band.current() : 0;
    band?.prepareSwap(annotations[j]!);
    let best = -1;
    let bestDelta = Infinity;
    let bestExcess = Infinity;
    for (let q = 0; q < m; q++) {
      const i = outside.items[q]!;
      const e = band ? band.excess[annotations[i]!]! : 0;
      if (e > bestExcess) continue;
      const d = state.swapDelta(j, i);
      if (e < bestExcess || d < bestDelta || (d === bestDelta && i < best)) {
        bestExcess = e;
        bestDelta = d;
        best = i;
      }
    }
    const J = state.objective();
    const accept = bestExcess < before || (bestExcess === before && bestDelta < -1e-12 * Math.abs(J));
    if (best >= 0 && accept) {
      state.remove(j);
      state.add(best);
      opts.cover?.onRemove(j);
      opts.cover?.onAdd(best);
      inside.replace(j, best);
      outside.replace(best, j);
      const at = orderPos.get(j)!;
      order[at] = best;
      orderPos.delete(j);
      orderPos.set(best, at);
      result.accepted++;
    }
    result.iterations++;
    pushTrace(result.trace, state);
    opts.onIteration?.(result.iterations);
  }
  return result;
}
