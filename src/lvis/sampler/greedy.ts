/**
 * The original tool's `sample_balanced_greedy` loop:
 *
 *   while |S| < total_images:
 *     pool = `pool` random remaining candidates (all of them when fewer, or with pool: all)
 *     pick the candidate with the lowest score J(S ∪ {i}) − bonus(i)   (ties: lowest image index)
 *     commit it
 *     runaway guard: if a tier's image count exceeds int(1.05 · B_t), drop the remaining
 *       candidates whose annotations all belong to that tier ("pure-tier" candidates)
 *
 * Tier bonuses (`tier_bonus`, 0 by default, so the default is the original tool's score): a candidate
 * gets bonus_t subtracted for every tier t it touches whose count is still under its budget
 * B_t. They only steer the greedy pick; they are not part of the objective J that
 * refinement lowers.
 *
 * Pure-tier candidates: images whose bucketed annotations all belong to one tier (tier mask
 * exactly {t}); images that touch two or more tiers, or none, are never dropped. The original tool
 * re-filters after every pick; since tier counts only grow during the greedy phase and a
 * filtered image never returns, filtering once per tier, when its count first crosses the
 * line, removes exactly the same images. The guard is also checked once before the first
 * pick, for a state that starts with images (the cover phase's).
 */
import { AllCandidatesScorer } from './all-candidates.js';
import { CandidateSet } from './candidate-set.js';
import { emptyTrace, pushTrace, type ObjectiveState, type ObjectiveTrace } from './objective.js';
import type { SeededRandom } from './random.js';

export interface GreedyOptions {
  totalImages: number;
  /** Candidates scored per step, or 'all' (every remaining candidate, exactly). */
  pool: number | 'all';
  /** Tier image budgets, TIERS order. */
  budgets: Int32Array;
  /** bonus_t, TIERS order. */
  tierBonus: Float64Array;
  /** The runaway guard's slack over budget (the original tool's 5%: 0.05). */
  runawaySlack: number;
  signal?: AbortSignal;
  /** Called after every pick with the subset size. */
  onPick?: (size: number) => void;
  /** Called with each step's drawn pool (`pool[0 .. m)`) before it is scored (benchmarks). */
  onPool?: (pool: Int32Array, m: number) => void;
}

export interface GuardEvent {
  tier: number;
  /** Subset size when the tier crossed its limit. */
  atSize: number;
  limit: number;
  removed: number;
}

export interface GreedyResult {
  /** Selected image indices, in pick order. */
  order: number[];
  /** J(S) and its terms after each pick. */
  trace: ObjectiveTrace;
  guard: GuardEvent[];
  /** True when candidates ran out before total_images. */
  exhausted: boolean;
}

export function bonusByMask(state: ObjectiveState, budgets: Int32Array, bonus: Float64Array, out: Float64Array): void {
  for (let mask = 0; mask < 8; mask++) {
    let b = 0;
    for (let t = 0; t < 3; t++) if (mask & (1 << t) && state.n[t]! < budgets[t]!) b += bonus[t]!;
    out[mask] = b;
  }
}

/**
 * When no candidate of a pool keeps the subset inside the density band (near the end of a run
 * the band admits few annotation counts, and a random pool may hold none of them), the
 * remaining candidates with the least excess, if it is below the pool's, are moved to the front
 * of the set, up to `size` of them, in the set's order (deterministic), and their number is
 * returned (0: none better than the pool's). One pass over the remaining candidates.
 */
function bandPool(remaining: CandidateSet, excess: Float64Array, annotations: Int32Array, poolExcess: number, size: number): number {
  let least = poolExcess;
  for (let q = 0; q < remaining.length; q++) least = Math.min(least, excess[annotations[remaining.items[q]!]!]!);
  if (!(least < poolExcess)) return 0;
  let k = 0;
  for (let q = 0; q < remaining.length && k < size; q++) {
    if (excess[annotations[remaining.items[q]!]!]! === least) remaining.swapPositions(q, k++);
  }
  return k;
}

export function runGreedy(state: ObjectiveState, rng: SeededRandom, opts: GreedyOptions): GreedyResult {
  const p = state.p;
  const mask = p.hist.imageTierMask;
  const counted = p.countMask;
  const annotations = p.density.count;
  const rows = p.imageRows;
  const remaining = new CandidateSet(p.imageCount, p.candidates.length);
  for (const i of p.candidates) if (!state.selected[i]) remaining.add(i);

  // `js` has no per-image shortcut (its term is not quadratic): pool all scores every remaining candidate.
  const scorer = opts.pool === 'all' && !p.js ? new AllCandidatesScorer(state) : null;
  const poolSize = opts.pool === 'all' ? Infinity : opts.pool;
  const useBonus = opts.tierBonus.some((b) => b !== 0);
  const bonus = new Float64Array(8);
  const fired = [false, false, false];
  const limits = Array.from(opts.budgets, (b) => Math.trunc((1 + opts.runawaySlack) * b));
  let scores = new Float64Array(Number.isFinite(poolSize) ? Math.min(poolSize, p.candidates.length) : 0);
  const result: GreedyResult = { order: [], trace: emptyTrace(), guard: [], exhausted: false };

  const guardCheck = () => {
    for (let t = 0; t < 3; t++) {
      if (fired[t] || state.n[t]! <= limits[t]!) continue;
      fired[t] = true;
      const pure = 1 << t;
      const removed = remaining.removeWhere((i) => mask[i] === pure);
      result.guard.push({ tier: t, atSize: state.size, limit: limits[t]!, removed });
    }
  };
  guardCheck();

  while (state.size < opts.totalImages) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    if (remaining.length === 0) {
      result.exhausted = true;
      break;
    }
    if (useBonus) bonusByMask(state, opts.budgets, opts.tierBonus, bonus);

    // With a density band: each candidate's band excess (by its annotation count) ranks first.
    state.band?.prepareAdd();
    const excess = state.band?.excess;
    let best: number;
    if (scorer) {
      best = scorer.best(remaining, useBonus ? bonus : undefined, excess).image;
    } else {
      const m = remaining.length <= poolSize ? remaining.length : remaining.drawToFront(rng, poolSize);
      opts.onPool?.(remaining.items, m);
      if (scores.length < m) scores = new Float64Array(m);
      state.scorePool(remaining.items, m, scores);
      best = -1;
      let bestScore = Infinity;
      let bestExcess = Infinity;
      for (let q = 0; q < m; q++) {
        const i = remaining.items[q]!;
        const s = scores[q]! - (useBonus ? bonus[counted[i]!]! : 0);
        // The annotation count from the image's row, which scoring has just read (a random image's
        // entry in a separate array would be one more cache miss per candidate).
        const e = excess ? excess[rows[8 * i + 6]!]! : 0;
        if (e < bestExcess || (e === bestExcess && (s < bestScore || (s === bestScore && i < best)))) {
          bestExcess = e;
          bestScore = s;
          best = i;
        }
      }
      // No candidate of the pool keeps the subset in the band: look further (see bandPool).
      if (excess && bestExcess > 0) {
        const k = bandPool(remaining, excess, annotations, bestExcess, Math.min(m, scores.length));
        if (k > 0) {
          state.scorePool(remaining.items, k, scores);
          best = -1;
          bestScore = Infinity;
          for (let q = 0; q < k; q++) {
            const i = remaining.items[q]!;
            const s = scores[q]! - (useBonus ? bonus[counted[i]!]! : 0);
            if (s < bestScore || (s === bestScore && i < best)) (bestScore = s), (best = i);
          }
        }
      }
    }

    state.add(best);
    scorer?.onAdd(best);
    remaining.remove(best);
    result.order.push(best);
    pushTrace(result.trace, state);
    opts.onPick?.(state.size);
    guardCheck();
  }
  return result;
}
