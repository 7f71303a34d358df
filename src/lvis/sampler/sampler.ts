/**
 * One entry point for every strategy: the domain side of the `greedy-sample` step.
 * It checks that its inputs belong together, sets up the problem (budgets, final rare quotas,
 * weights, the density band), runs the chosen strategy (sampler-greedy.ts for greedy and its
 * phases, strategies.ts for the baselines), and measures the result (quality.ts).
 */
import { DiagnosticError } from '../../base/diagnostic.js';
import type { Dataset } from '../dataset/dataset.js';
import { TIER_INDEX } from '../dataset/dataset.js';
import { tierBudgets } from './budgets.js';
import type { GuardEvent } from './greedy.js';
import type { Histograms } from './histograms.js';
import { emptyTrace, type ObjectiveTrace } from './objective.js';
import { SamplerProblem } from './problem.js';
import { computeQuality, type QualityReport } from './quality.js';
import { finalRareQuotas, type RareQuotas } from './quotas.js';
import { SeededRandom } from './random.js';
import type { Sample, SamplerStrategy } from './sample.js';
import { greedyStrategy, type CoverInfo, type GreedyOutcome } from './sampler-greedy.js';
import { quotaNote } from './sampler-notes.js';
import type { SamplerHooks, SamplerOptions } from './sampler-options.js';
import { sampleCoverage, sampleRandom, sampleRestarts } from './strategies.js';
import type { TargetMix } from './target-mix.js';
import { tierMixNotes } from './tier-notes.js';
import { TIERS, tierArray, type PerTier } from './tiers.js';

export type { SamplerHooks, SamplerOptions } from './sampler-options.js';

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
  cover?: CoverInfo;
  /** How the rare quotas were made: min(rare_cap, images), rescaled to `target` images in all (Σ before: `cappedSum`). */
  quotaRescale: { rareCap: number; target: number; cappedSum: number };
}

export interface SamplerResult {
  sample: Sample;
  report: QualityReport;
  details: SampleDetails;
  notes: string[];
}

/** What runSampler sets up before a strategy runs. */
interface Setup {
  problem: SamplerProblem;
  /** total_images, or every reachable image when there are fewer. */
  totalImages: number;
  reachable: number;
  budgets: Int32Array;
  quota: Int32Array;
  quotaRescale: SampleDetails['quotaRescale'];
  notes: string[];
}

export function runSampler(
  ds: Dataset,
  hist: Histograms,
  mix: TargetMix,
  quotas: RareQuotas,
  opts: SamplerOptions,
  hooks: SamplerHooks = {},
): SamplerResult {
  checkInputs(ds, hist);
  const setup = setUp(ds, hist, mix, quotas, opts);
  const outcome = runStrategy(setup, ds, opts, hooks);
  const report = measure(setup, ds, opts, outcome.order);
  const notes = [...setup.notes, ...outcome.notes];
  if (opts.strategy === 'greedy') {
    notes.push(...tierMixNotes({ cover: outcome.cover, budgets: setup.budgets, report, totalImages: setup.totalImages, opts, alpha: mix.alpha }));
  }
  const { metrics: _metrics, ...rest } = report;
  const b = setup.budgets;
  const details: SampleDetails = {
    strategy: opts.strategy,
    budgets: { f: b[0]!, c: b[1]!, r: b[2]! },
    ...rest,
    trace: outcome.trace,
    guard: outcome.guard.map((e) => ({ ...e, tier: TIERS[e.tier]! })),
    ...(outcome.refine ? { refine: outcome.refine } : {}),
    ...(outcome.cover ? { cover: outcome.cover } : {}),
    quotaRescale: setup.quotaRescale,
  };
  return { sample: buildSample(ds, opts, outcome.order), report, details, notes };
}

function checkInputs(ds: Dataset, hist: Histograms): void {
  if (hist.imageCount === ds.images.count && hist.categoryCount === ds.categories.count) return;
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

/** Budgets, final rare quotas, the problem (weights, the density band) and the notes on them. */
function setUp(ds: Dataset, hist: Histograms, mix: TargetMix, quotas: RareQuotas, opts: SamplerOptions): Setup {
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
  const rareBudget = budgets[TIER_INDEX.r]!;
  const quota = finalRareQuotas(quotas, ds.categories.count, rareBudget, coverOn ? 1 : 0);
  const quotaTarget = quotas.target === 'budget' ? rareBudget : quotas.target;
  if (opts.strategy === 'greedy') {
    const note = quotaNote(quotas, quotaTarget, quota, coverOn);
    if (note) notes.push(note);
  }
  const quotaRescale = { rareCap: quotas.rareCap, target: quotaTarget, cappedSum: quotas.capped.reduce((a, b) => a + b, 0) };
  const problem = new SamplerProblem(ds, hist, quota, {
    tierWeights: tierArray(opts.tierWeights),
    lambdaTier: opts.lambdaTier,
    lambdaCap: opts.lambdaCap,
    lambdaShare: opts.lambdaShare,
    lambdaDensity: opts.lambdaDensity,
    band: opts.strategy === 'greedy' && opts.densityBand !== 'free' ? { width: opts.densityBand, finalSize: totalImages } : null,
    finalSize: totalImages,
    target: tierArray(mix.mix),
  }, opts.tierMembership, opts.mismatch);
  return { problem, totalImages, reachable, budgets, quota, quotaRescale, notes };
}

function runStrategy(setup: Setup, ds: Dataset, opts: SamplerOptions, hooks: SamplerHooks): GreedyOutcome {
  const { problem, totalImages } = setup;
  const out: GreedyOutcome = { order: [], trace: { greedy: emptyTrace(), refine: emptyTrace() }, guard: [], notes: [] };
  const rng = new SeededRandom(opts.seed);
  // Every reachable image is asked for: that is the sample, whatever the strategy (greedy's
  // runaway guard would otherwise stop it short of some).
  if (setup.reachable <= opts.totalImages) {
    out.order = opts.strategy === 'coverage' ? Array.from({ length: ds.images.count }, (_, i) => i) : Array.from(problem.candidates);
    return out;
  }
  switch (opts.strategy) {
    case 'greedy':
      return greedyStrategy(problem, rng, opts, { totalImages, budgets: setup.budgets }, hooks);
    case 'random':
      out.order = sampleRandom(problem, totalImages, rng);
      return out;
    case 'restarts': {
      const r = sampleRestarts(problem, totalImages, opts.restartsK, rng);
      out.order = r.order;
      out.trace.restarts = { classSize: r.classSizeScores, minitrain: r.minitrainScores, missingKeys: r.missingKeys, bestDraw: r.bestDraw };
      return out;
    }
    case 'coverage': {
      const r = sampleCoverage(ds, totalImages, opts.coverageNegativeEvery, rng);
      out.order = r.order;
      if (r.exhausted) out.notes.push(`coverage: no category had images left after ${out.order.length} images`);
      return out;
    }
  }
}

function measure(setup: Setup, ds: Dataset, opts: SamplerOptions, order: number[]): QualityReport {
  return computeQuality({
    ds,
    rule: setup.problem.hist.rule,
    selected: order,
    requested: opts.totalImages,
    target: setup.problem.weights.target,
    budgets: setup.budgets,
    tierWeights: setup.problem.weights.tierWeights,
    lambdaTier: opts.lambdaTier,
    lambdaCap: opts.lambdaCap,
    lambdaShare: opts.lambdaShare,
    lambdaDensity: opts.lambdaDensity,
    quota: setup.quota,
    membership: opts.tierMembership,
    mismatch: opts.mismatch,
  });
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
