/**
 * The `greedy` strategy of `greedy-sample`, phase by phase: the cover phase (cover.ts), the
 * greedy picks (greedy.ts) and refinement (refine.ts), on one objective state, with the notes
 * each phase leaves for the log.
 */
import { CoverTracker, runCover } from './cover.js';
import { runGreedy, type GuardEvent } from './greedy.js';
import { emptyTrace, ObjectiveState, pushTrace, type ObjectiveTrace } from './objective.js';
import { TRACE_KEYS } from './objective-trace.js';
import type { SamplerProblem } from './problem.js';
import type { SeededRandom } from './random.js';
import { refine } from './refine.js';
import { repairBand } from './band-repair.js';
import { exhaustedNote, guardNote } from './sampler-notes.js';
import { tierArray, type PerTier } from './tiers.js';
import type { SamplerHooks, SamplerOptions } from './sampler-options.js';

export interface CoverInfo {
  images: number;
  coverable: number;
  covered: number;
  overQuota: number;
  leftForBudget: number;
  /** Of the cover's images, how many count for each tier (f, c, r) (the tier-mix notes compare them with the budgets). */
  tierImages: PerTier<number>;
}

export interface GreedyOutcome {
  order: number[];
  /** J(S) and its terms after each cover and greedy pick, and after each refinement iteration. */
  trace: {
    greedy: ObjectiveTrace;
    refine: ObjectiveTrace;
    /** restarts (not greedy): per draw, the class×size score, COCO-minitrain's score and missing keys. */
    restarts?: { classSize: number[]; minitrain: number[]; missingKeys: number[]; bestDraw: number };
  };
  guard: GuardEvent[];
  refine?: { iterations: number; accepted: number; stoppedBy: string };
  cover?: CoverInfo;
  notes: string[];
}

export function greedyStrategy(
  problem: SamplerProblem,
  rng: SeededRandom,
  opts: SamplerOptions,
  run: { totalImages: number; budgets: Int32Array },
  hooks: SamplerHooks,
): GreedyOutcome {
  const state = new ObjectiveState(problem);
  const out: GreedyOutcome = { order: [], trace: { greedy: emptyTrace(), refine: emptyTrace() }, guard: [], notes: [] };
  const tracker = opts.cover ? new CoverTracker(state) : undefined;
  if (tracker) coverPhase(state, tracker, run.totalImages, opts.totalImages, hooks, out);
  greedyPhase(state, rng, opts, run, hooks, out);
  if (state.band && state.band.current() > 0) bandRepairPhase(state, tracker, out);
  if (opts.refineIters > 0) refinePhase(state, rng, opts, tracker, hooks, out);
  return out;
}

function coverPhase(state: ObjectiveState, tracker: CoverTracker, totalImages: number, requested: number, hooks: SamplerHooks, out: GreedyOutcome): void {
  const c = runCover(state, tracker, totalImages, (n) => hooks.progress?.('cover', n, totalImages));
  out.order = c.order;
  out.trace.greedy = c.trace;
  out.cover = {
    images: c.order.length, coverable: c.coverable, covered: c.covered, overQuota: c.overQuota, leftForBudget: c.leftForBudget,
    tierImages: { f: state.n[0]!, c: state.n[1]!, r: state.n[2]! },
  };
  out.notes.push(
    `cover phase: ${c.order.length} images cover ${c.covered} of ${c.coverable} categories with images` +
      (c.overQuota > 0 ? `; ${c.overQuota} of them only with an image over a rare quota` : ''),
  );
  if (c.leftForBudget > 0) {
    out.notes.push(
      `cover phase: total_images = ${requested} is too small to cover every category; ` +
        `${c.leftForBudget} categories (the most common of the uncovered) are left out`,
    );
  }
}

function greedyPhase(
  state: ObjectiveState,
  rng: SeededRandom,
  opts: SamplerOptions,
  run: { totalImages: number; budgets: Int32Array },
  hooks: SamplerHooks,
  out: GreedyOutcome,
): void {
  const g = runGreedy(state, rng, {
    totalImages: run.totalImages,
    pool: opts.pool,
    budgets: run.budgets,
    tierBonus: tierArray(opts.tierBonus),
    runawaySlack: opts.runawaySlack,
    signal: hooks.signal,
    onPick: (n) => hooks.progress?.('greedy', n, run.totalImages),
  });
  out.order = out.order.concat(g.order);
  for (const key of TRACE_KEYS) out.trace.greedy[key] = out.trace.greedy[key].concat(g.trace[key]);
  out.guard = g.guard;
  for (const e of g.guard) out.notes.push(guardNote(e, run.budgets[e.tier]!, opts.runawaySlack));
  if (g.exhausted) out.notes.push(exhaustedNote(out.order.length));
}

function bandRepairPhase(state: ObjectiveState, tracker: CoverTracker | undefined, out: GreedyOutcome): void {
  const r = repairBand(state, out.order, tracker);
  const band = state.band!;
  out.notes.push(
    `density band: the greedy picks ended ${r.before.toExponential(1)} outside the ±${100 * band.width}% band; ` +
      (r.after > 0
        ? `${r.swaps} swaps brought it to ${r.after.toExponential(1)} outside, and no swap of the images there are does better`
        : `${r.swaps} swaps brought the subset inside it`),
  );
  pushTrace(out.trace.greedy, state);
}

function refinePhase(
  state: ObjectiveState,
  rng: SeededRandom,
  opts: SamplerOptions,
  tracker: CoverTracker | undefined,
  hooks: SamplerHooks,
  out: GreedyOutcome,
): void {
  const r = refine(state, out.order, rng, {
    iterations: opts.refineIters,
    seconds: opts.refineSeconds,
    pool: opts.refinePool,
    signal: hooks.signal,
    onIteration: (n) => hooks.progress?.('refine', n, opts.refineIters),
    cover: tracker,
  });
  out.trace.refine = r.trace;
  out.refine = { iterations: r.iterations, accepted: r.accepted, stoppedBy: r.stoppedBy };
  out.notes.push(
    `refinement: ${r.accepted} of ${r.iterations} swaps accepted (stopped by ${r.stoppedBy}); ` +
      `objective ${out.trace.greedy.objective.at(-1)?.toExponential(4)} → ${state.objective().toExponential(4)}`,
  );
}
