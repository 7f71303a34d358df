/**
 * One entry point for every strategy: the domain side of the `greedy-sample` step.
 * It checks that its inputs belong together, builds the problem (budgets, final rare quotas,
 * weights), runs the chosen strategy (and refinement for greedy), and measures the result.
 */
import { DiagnosticError } from '../../base/diagnostic.js';
import type { Dataset } from '../dataset/dataset.js';
import { tierBudgets } from './budgets.js';
import { CoverTracker, runCover } from './cover.js';
import { runGreedy, type GuardEvent } from './greedy.js';
import type { Histograms } from './histograms.js';
import { emptyTrace, ObjectiveState, type ObjectiveTrace } from './objective.js';
import { TRACE_KEYS } from './objective-trace.js';
import { SamplerProblem } from './problem.js';
import { type Mismatch, type TierMembership } from './objective-terms.js';
import { computeQuality, type QualityReport } from './quality.js';
import { finalRareQuotas, type RareQuotas } from './quotas.js';
import { SeededRandom } from './random.js';
import { refine } from './refine.js';
import { tierMixNotes } from './tier-notes.js';
import type { Sample, SamplerStrategy } from './sample.js';
import { sampleCoverage, sampleRandom, sampleRestarts } from './strategies.js';
import type { TargetMix } from './target-mix.js';
import { TIER_INDEX } from '../dataset/dataset.js';
import { TIERS, tierArray, type PerTier } from './tiers.js';

export interface SamplerOptions {
  strategy: SamplerStrategy;
  /** The class×size mismatch term: `chi2` (default) or `seed` (score_classsize). */
  mismatch: Mismatch;
  /** Greedy: cover every category with an image first (default true; the original tool: false). */
  cover: boolean;
  totalImages: number;
  seed: number;
  pool: number | 'all';
  lambdaTier: number;
  lambdaCap: number;
  /** chi2 only: weight of the between-tier annotation-share χ². */
  lambdaShare: number;
  /** chi2 only: weight of the density term (density.ts); 0: annotations per image are free. */
  lambdaDensity: number;
  tierWeights: PerTier<number>;
  tierBonus: PerTier<number>;
  tierMembership: TierMembership;
  runawaySlack: number;
  refineIters: number;
  refineSeconds: number | null;
  refinePool: number | 'all';
  restartsK: number;
  coverageNegativeEvery: number;
}

/** The non-metric companion of the quality record, for plots. */
export interface SampleDetails extends Omit<QualityReport, 'metrics'> {
  strategy: SamplerStrategy;
  budgets: PerTier<number>;
  trace: {
    /** J(S) and its terms after each greedy pick (the cover phase's picks first). */
    greedy: ObjectiveTrace;
    /** J(S) and its terms after each refinement iteration. */
    refine: ObjectiveTrace;
    /** restarts: per draw, the class×size score, COCO-minitrain's score and missing keys. */
    restarts?: { classSize: number[]; minitrain: number[]; missingKeys: number[]; bestDraw: number };
  };
  guard: (Omit<GuardEvent, 'tier'> & { tier: string })[];
  refine?: { iterations: number; accepted: number; stoppedBy: string };
  /** Greedy with `cover`: the cover phase's images and categories. */
  cover?: {
    images: number; coverable: number; covered: number; overQuota: number; leftForBudget: number;
    /** Of the cover's images, how many count for each tier (f, c, r) (the tier-mix notes compare them with the budgets). */
    tierImages: PerTier<number>;
  };
}

export interface SamplerResult {
  sample: Sample;
  report: QualityReport;
  details: SampleDetails;
  notes: string[];
}

export interface SamplerHooks {
  signal?: AbortSignal;
  progress?: (phase: string, done: number, total: number) => void;
}

export function runSampler(
  ds: Dataset,
  hist: Histograms,
  mix: TargetMix,
  quotas: RareQuotas,
  opts: SamplerOptions,
  hooks: SamplerHooks = {},
): SamplerResult {
  if (hist.imageCount !== ds.images.count || hist.categoryCount !== ds.categories.count) {
    throw new DiagnosticError([
      {
        severity: 'error',
        message:
          `greedy-sample: the histograms (${hist.imageCount} images, ${hist.categoryCount} categories) ` +
          `were not built from this dataset (${ds.images.count} images, ${ds.categories.count} categories); ` +
          'wire the histograms step to the same load step',
      },
    ]);
  }
  const notes: string[] = [];
  // total_images above the images there are to pick takes them all: the budgets, quotas and
  // loops work on what can be reached (a budget above the image count meant nothing, and one
  // above 2^31 wrapped around in the budgets' Int32Array: total_images = 1e12 gave 151 images).
  const reachable = reachableImages(ds, opts.strategy);
  const totalImages = Math.min(opts.totalImages, reachable);
  if (reachable < opts.totalImages) {
    notes.push(
      `only ${reachable} images ${opts.strategy === 'coverage' ? 'are in the dataset' : 'have annotations'}; the sample takes all of them ` +
        `(total_images = ${opts.totalImages})`,
    );
  }
  const budgets = tierBudgets(mix.mix, totalImages);
  // The cover phase gives every rare class an image: its quota is at least that one.
  const coverOn = opts.strategy === 'greedy' && opts.cover;
  const quota = finalRareQuotas(quotas, ds.categories.count, budgets[TIER_INDEX.r]!, coverOn ? 1 : 0);
  const target = tierArray(mix.mix);
  const tierWeights = tierArray(opts.tierWeights);
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights,
    lambdaTier: opts.lambdaTier,
    lambdaCap: opts.lambdaCap,
    lambdaShare: opts.lambdaShare,
    lambdaDensity: opts.lambdaDensity,
    target,
  }, opts.tierMembership, opts.mismatch);
  const rng = new SeededRandom(opts.seed);
  const trace: SampleDetails['trace'] = { greedy: emptyTrace(), refine: emptyTrace() };
  let guard: GuardEvent[] = [];
  let refineInfo: SampleDetails['refine'];
  let coverInfo: SampleDetails['cover'];
  let order: number[] = [];

  // Every reachable image is asked for: that is the sample, whatever the strategy (greedy's
  // runaway guard would otherwise stop it short of some).
  if (reachable <= opts.totalImages) order = reachableOrder(problem, opts.strategy, ds);
  else switch (opts.strategy) {
    case 'greedy': {
      const state = new ObjectiveState(problem);
      const tracker = opts.cover ? new CoverTracker(state) : undefined;
      let coverOrder: number[] = [];
      if (tracker) {
        const c = runCover(state, tracker, totalImages, (n) => hooks.progress?.('cover', n, totalImages));
        coverOrder = c.order;
        trace.greedy = c.trace;
        coverInfo = {
          images: c.order.length, coverable: c.coverable, covered: c.covered, overQuota: c.overQuota, leftForBudget: c.leftForBudget,
          tierImages: { f: state.n[0]!, c: state.n[1]!, r: state.n[2]! },
        };
        notes.push(
          `cover phase: ${c.order.length} images cover ${c.covered} of ${c.coverable} categories with images` +
            (c.overQuota > 0 ? `; ${c.overQuota} of them only with an image over a rare quota` : ''),
        );
        if (c.leftForBudget > 0) {
          notes.push(
            `cover phase: total_images = ${opts.totalImages} is too small to cover every category; ` +
              `${c.leftForBudget} categories (the most common of the uncovered) are left out`,
          );
        }
      }
      const g = runGreedy(state, rng, {
        totalImages,
        pool: opts.pool,
        budgets,
        tierBonus: tierArray(opts.tierBonus),
        runawaySlack: opts.runawaySlack,
        signal: hooks.signal,
        onPick: (n) => hooks.progress?.('greedy', n, totalImages),
      });
      order = coverOrder.concat(g.order);
      for (const key of TRACE_KEYS) {
        trace.greedy[key] = trace.greedy[key].concat(g.trace[key]);
      }
      guard = g.guard;
      for (const e of g.guard) {
        notes.push(
          `runaway guard: tier ${TIERS[e.tier]} passed ${e.limit} images at subset size ${e.atSize}; ` +
            `${e.removed} ${TIERS[e.tier]}-only candidates dropped`,
        );
      }
      if (g.exhausted) {
        notes.push(`candidates ran out after ${order.length} images (the runaway guard dropped the rest)`);
      }
      if (opts.refineIters > 0) {
        const r = refine(state, order, rng, {
          iterations: opts.refineIters,
          seconds: opts.refineSeconds,
          pool: opts.refinePool,
          signal: hooks.signal,
          onIteration: (n) => hooks.progress?.('refine', n, opts.refineIters),
          cover: tracker,
        });
        trace.refine = r.trace;
        refineInfo = { iterations: r.iterations, accepted: r.accepted, stoppedBy: r.stoppedBy };
        notes.push(
          `refinement: ${r.accepted} of ${r.iterations} swaps accepted (stopped by ${r.stoppedBy}); ` +
            `objective ${trace.greedy.objective.at(-1)?.toExponential(4)} → ${state.objective().toExponential(4)}`,
        );
      }
      break;
    }
    case 'random':
      order = sampleRandom(problem, totalImages, rng);
      break;
    case 'restarts': {
      const r = sampleRestarts(problem, totalImages, opts.restartsK, rng);
      order = r.order;
      trace.restarts = {
        classSize: r.classSizeScores,
        minitrain: r.minitrainScores,
        missingKeys: r.missingKeys,
        bestDraw: r.bestDraw,
      };
      break;
    }
    case 'coverage': {
      const r = sampleCoverage(ds, totalImages, opts.coverageNegativeEvery, rng);
      order = r.order;
      if (r.exhausted) notes.push(`coverage: no category had images left after ${order.length} images`);
      break;
    }
  }

  const report = computeQuality({
    ds,
    rule: hist.rule,
    selected: order,
    requested: opts.totalImages,
    target,
    budgets,
    tierWeights,
    lambdaTier: opts.lambdaTier,
    lambdaCap: opts.lambdaCap,
    lambdaShare: opts.lambdaShare,
    lambdaDensity: opts.lambdaDensity,
    quota,
    membership: opts.tierMembership,
    mismatch: opts.mismatch,
  });
  if (opts.strategy === 'greedy') {
    notes.push(...tierMixNotes({ cover: coverInfo, budgets, report, totalImages, opts, alpha: mix.alpha }));
  }
  const sample = buildSample(ds, opts, order);
  const { metrics: _metrics, ...rest } = report;
  const details: SampleDetails = {
    strategy: opts.strategy,
    budgets: { f: budgets[0]!, c: budgets[1]!, r: budgets[2]! },
    ...rest,
    trace,
    guard: guard.map((e) => ({ ...e, tier: TIERS[e.tier]! })),
    ...(refineInfo ? { refine: refineInfo } : {}),
    ...(coverInfo ? { cover: coverInfo } : {}),
  };
  return { sample, report, details, notes };
}

/** Images a strategy can pick: those with annotations (coverage also takes images without). */
function reachableOrder(problem: SamplerProblem, strategy: SamplerStrategy, ds: Dataset): number[] {
  return strategy === 'coverage' ? Array.from({ length: ds.images.count }, (_, i) => i) : Array.from(problem.candidates);
}

function reachableImages(ds: Dataset, strategy: SamplerStrategy): number {
  if (strategy === 'coverage') return ds.images.count;
  const { annOffsets } = ds.images;
  let n = 0;
  for (let i = 0; i < ds.images.count; i++) if (annOffsets[i + 1]! > annOffsets[i]!) n++;
  return n;
}

export function buildSample(ds: Dataset, opts: Pick<SamplerOptions, 'strategy' | 'seed' | 'totalImages'>, order: number[]): Sample {
  const seen = new Uint8Array(ds.categories.count);
  let annotationCount = 0;
  const { annOffsets, annIndex } = ds.images;
  for (const i of order) {
    for (let q = annOffsets[i]!; q < annOffsets[i + 1]!; q++) {
      seen[ds.annotations.category[annIndex[q]!]!] = 1;
      annotationCount++;
    }
  }
  const keptCategoryIndices: number[] = [];
  for (let c = 0; c < seen.length; c++) if (seen[c]) keptCategoryIndices.push(c);
  return {
    strategy: opts.strategy,
    seed: opts.seed,
    requestedImages: opts.totalImages,
    imageIndices: order.slice(),
    imageIds: order.map((i) => ds.images.id[i]!),
    keptCategoryIndices,
    keptCategoryIds: keptCategoryIndices.map((c) => ds.categories.id[c]!),
    annotationCount,
  };
}
