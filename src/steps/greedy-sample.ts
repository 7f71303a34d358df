/**
 * Step `greedy-sample`: the original tool's sample_balanced_greedy and the baseline strategies
 * (src/lvis/sampler/sampler.ts). Outputs the sample (for write / prune), its quality metrics
 * (a flat record copied into the run history) and the details the plots need.
 */
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import { optionDefaults, type OptionsOf } from '../runner/step/options.js';
import { sampleDetailsKind, sampleKind, sampleQualityKind } from './kinds.js';
import type { Dataset } from '../lvis/dataset/dataset.js';
import type { Histograms } from '../lvis/sampler/histograms.js';
import { formatQuality, type SampleQuality } from '../lvis/sampler/quality.js';
import type { RareQuotas } from '../lvis/sampler/quotas.js';
import { type Sample } from '../lvis/sampler/sample.js';
import { runSampler, type SampleDetails, type SamplerOptions } from '../lvis/sampler/sampler.js';
import type { TargetMix } from '../lvis/sampler/target-mix.js';

interface Inputs {
  dataset: Dataset;
  histograms: Histograms;
  mix: TargetMix;
  quotas: RareQuotas;
}

/** A weight per tier, each with its default: `{ f, c, r }`. */
const perTierSchema = <const F extends number, const C extends number, const R extends number, const D extends string>(f: F, c: C, r: R, description: D) =>
  ({
    type: 'object',
    properties: {
      f: { type: 'number', minimum: 0, default: f },
      c: { type: 'number', minimum: 0, default: c },
      r: { type: 'number', minimum: 0, default: r },
    },
    additionalProperties: false,
    default: { f, c, r },
    description,
  }) as const;

/**
 * The options, declared once: type, constraints, default and meaning of each. The TS type, the
 * defaults in code, validation, `lvis-pipe steps greedy-sample` and the reference docs derive
 * from it.
 */
export const optionsSchema = {
  type: 'object',
  properties: {
    total_images: {
      type: 'integer',
      minimum: 1,
      maximum: 100000000,
      default: 25000,
      description: 'Images in the subset (original tool: --total_images); more than the dataset has takes them all, with a note',
    },
    strategy: {
      enum: ['greedy', 'random', 'restarts', 'coverage'],
      default: 'greedy',
      description:
        '`greedy`: the original tool’s sampler (with `mismatch: seed` and `cover: false` exactly the original tool’s; the defaults add the `js` mismatch, the cover phase and the density band); `random`: uniform over images with annotations; `restarts`: COCO-minitrain, best of restarts_k random subsets — scored by the class×size mismatch, because minitrain’s own score (max − min per-key ratio) is always 1 on LVIS, where some key is always missing; `coverage`: MDETR’s LVIS subsampler (repeatedly a random image of the least-covered category)',
    },
    mismatch: {
      enum: ['js', 'chi2', 'seed'],
      default: 'js',
      description:
        'Class×size mismatch term of the objective: `js` = the Jensen–Shannon divergence of the subset’s (category, size) counts from what a uniform sample of as many images holds on average (mass-weighted over all keys, like the JS of the quality report; an image that brings more annotations than its share overshoots its keys); `chi2` = Pearson χ² divergence of the subset’s within-tier (category, size) shares from the full set’s, per tier, plus lambda_share times the tiers’ share χ² (the default before issue 27); `seed` = the original tool’s score_classsize (variance of the per-key ratios subset/full). The original tool’s behaviour is `mismatch: seed` with `cover: false`. Also how `restarts` scores its draws',
    },
    cover: {
      type: 'boolean',
      default: true,
      description:
        'Greedy: before the greedy picks, add images until every category with an annotated image is in the subset (rarest first; among a category’s images, one inside the density band, then the lowest objective, then the one covering most uncovered categories, then the lowest index — with `mismatch: seed`, or `chi2` without lambda_density and band, the most uncovered categories before the objective; rare quotas respected where possible, and each rare class’s quota is at least 1). These images count toward the tier budgets, and refinement never swaps out the last image of a category. When total_images is too small, the rarest are covered first. The original tool: false',
    },
    seed: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      default: 1337,
      description: 'Random seed (original tool: --seed): the same inputs, options and seed give the same subset',
    },
    pool: {
      anyOf: [{ type: 'integer', minimum: 1 }, { const: 'all' }],
      default: 256,
      description:
        'Greedy: candidates drawn at random and scored per pick (original tool: --pool_size), or `all` to score every remaining candidate exactly (fast for `chi2` and `seed`, which keep per-image sums; with `js` every candidate is scored afresh at each pick, minutes at full scale)',
    },
    lambda_tier: {
      type: 'number',
      minimum: 0,
      default: 3,
      description: 'Weight of the tier-mix penalty (original tool: --lambda_tier)',
    },
    lambda_cap: {
      type: 'number',
      minimum: 0,
      default: 2,
      description: 'Weight of the rare-cap overage penalty (original tool: --lambda_cap)',
    },
    lambda_share: {
      type: 'number',
      minimum: 0,
      default: 40,
      description:
        '`mismatch: chi2` only: weight of the between-tier term, the χ² of the subset’s annotation shares per tier against the full set’s (the part of the (category, size) distribution that the per-tier terms cannot see). Ignored by `mismatch: seed`',
    },
    lambda_density: {
      type: 'number',
      minimum: 0,
      default: 10,
      description:
        '`mismatch: chi2` only: weight of a soft density term (how chi2 held density before density_band; `js` needs none), which keeps the subset’s annotations per image like the full set’s: the χ² of the histogram of annotations per image (log-spaced bins) plus 10 × the squared relative error of its mean; the cover phase then also ranks a category’s images by the objective before the number of uncovered categories they add. 0: density is free (the class×size fidelity is bought with crowded images). Higher holds density closer at some cost in fidelity; see docs/explanation/sampler-density.md. Ignored by `mismatch: seed`',
    },
    density_band: {
      anyOf: [{ type: 'number', minimum: 0.005, maximum: 1 }, { const: 'free' }],
      default: 0.05,
      description:
        'Greedy (`mismatch: js` or `chi2`): hold the subset’s annotations per image inside a band around the full set’s, as a constraint: their mean within ±density_band of the full set’s (relative) and their distribution within density_band of the full set’s at every count (Kolmogorov–Smirnov distance). The cover phase, the greedy picks and refinement rank candidates by how far they would take the subset out of the band before the objective, so the objective spends its freedom on class×size fidelity inside the band. `free`: no band (the switch for free density; with `js` the mean stays near the full set’s, the shape does not; with `chi2` lambda_density weighs density). See docs/explanation/sampler-density.md. Ignored by `mismatch: seed`',
    },
    tier_weights: perTierSchema(
      1,
      1,
      0.6,
      'Per-tier weight w_t of the class×size mismatch. This is what the original tool’s --tier_bonus "1.0,1.0,0.6" (c,f,r) sets',
    ),
    tier_bonus: perTierSchema(
      0,
      0,
      0,
      'Subtracted from a candidate’s greedy score for each tier it touches that is still under its image budget (0: the original tool’s score)',
    ),
    tier_membership: {
      enum: ['rarest', 'each'],
      default: 'rarest',
      description:
        'Which tiers an image counts for in the tier mix, budgets and bonuses: `rarest` (r, else c, else f: a partition, so shares sum to 1 like the target and B_f + B_c + B_r = total_images) or `each` (every tier it has annotations of, as the published seed code counts; nearly every LVIS image then counts for f)',
    },
    runaway_slack: {
      type: 'number',
      minimum: 0,
      default: 0.05,
      description:
        'Runaway guard: once a tier has more than int((1 + slack) · budget) images, candidates whose annotations are all of that tier are dropped (seed: 5%)',
    },
    refine_iters: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description:
        'Greedy: swap moves tried after the greedy phase, each applied only if it strictly lowers the objective (0: none, as the original tool). The deterministic bound',
    },
    refine_seconds: {
      anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }],
      default: null,
      description:
        'Optional time budget for refinement; it can only cut refine_iters short, and makes results depend on machine speed (null: none, deterministic)',
    },
    refine_pool: {
      anyOf: [{ type: 'integer', minimum: 1 }, { const: 'all' }],
      default: 256,
      description: 'Unselected candidates scored per refinement step, or `all`',
    },
    restarts_k: {
      type: 'integer',
      minimum: 1,
      default: 100,
      description: 'restarts: number of random subsets drawn (COCO-minitrain run_count)',
    },
    coverage_negative_every: {
      type: 'integer',
      minimum: 0,
      default: 10,
      description:
        'coverage: every n-th pick targets the least-covered *negative* category (MDETR: 10); 0 = positive picks only',
    },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

/** The domain's sampler options from the step's (complete: defaults applied). */
export function samplerOptionsFrom(o: Options): SamplerOptions {
  return {
    strategy: o.strategy,
    mismatch: o.mismatch,
    cover: o.cover,
    totalImages: o.total_images,
    seed: o.seed,
    pool: o.pool,
    lambdaTier: o.lambda_tier,
    lambdaCap: o.lambda_cap,
    lambdaShare: o.lambda_share,
    lambdaDensity: o.lambda_density,
    densityBand: o.density_band,
    tierWeights: { ...o.tier_weights },
    tierBonus: { ...o.tier_bonus },
    tierMembership: o.tier_membership,
    runawaySlack: o.runaway_slack,
    refineIters: o.refine_iters,
    refineSeconds: o.refine_seconds,
    refinePool: o.refine_pool,
    restartsK: o.restarts_k,
    coverageNegativeEvery: o.coverage_negative_every,
  };
}

/** The sampler's options when nothing is set: the declared defaults (for tests, benchmarks, embedders). */
export function defaultSamplerOptions(): SamplerOptions {
  return samplerOptionsFrom(optionDefaults(optionsSchema) as Options);
}

const step: StepModule<Options, Inputs, { sample: Sample; quality: SampleQuality; details: SampleDetails }> = {
  type: 'greedy-sample',
  // 4: the js mismatch and the density band by default (issue 27).
  version: 4,
  description:
    'Choose the subset (greedy class×size matching with tier-mix and rare-cap penalties, or a baseline strategy) and measure it against the full set',
  optionsSchema,

  inputs: {
    dataset: { kind: 'lvis.dataset', description: 'The dataset, from a `load` step' },
    histograms: { kind: 'lvis.histograms', description: 'From a `histograms` step on the same dataset' },
    mix: { kind: 'lvis.target-mix', description: 'From a `target-mix` step' },
    quotas: { kind: 'lvis.rare-quotas', description: 'From a `quotas` step on the same dataset' },
  },
  outputs: {
    sample: { kind: sampleKind.name, description: 'Selected image indices and ids, and the kept categories' },
    quality: { kind: sampleQualityKind.name, metrics: true, description: 'Quality metrics against the full set' },
    details: { kind: sampleDetailsKind.name, description: 'Per-key and per-tier shares, objective trace, rare quota usage' },
  },
  kinds: [sampleKind, sampleQualityKind, sampleDetailsKind],
  cpuHeavy: true,
  // Rules across options, checked with the rest of the pipeline before anything runs.
  check(options) {
    if (options.strategy !== 'greedy' && options.refine_iters > 0) {
      return [{ severity: 'warning', at: 'options', key: 'refine_iters', message: `refine_iters applies to strategy greedy only; it is ignored for strategy ${options.strategy}` }];
    }
    return [];
  },
  async run(ctx) {
    const { dataset, histograms, mix, quotas } = ctx.inputs;
    const opts = samplerOptionsFrom(ctx.options);
    let phase = '';
    const started = performance.now();
    const result = runSampler(dataset, histograms, mix, quotas, opts, {
      signal: ctx.signal,
      progress: (p, done, total) => {
        if (p !== phase) {
          if (phase) ctx.progress.done();
          phase = p;
          ctx.progress.start(
            p === 'greedy' ? 'greedy picks' : p === 'cover' ? 'cover phase' : 'refinement',
            total,
            p === 'refine' ? 'swaps' : 'images',
          );
        }
        ctx.progress.update(done);
      },
    });
    if (phase) ctx.progress.done();
    for (const note of result.notes) ctx.log(note);
    ctx.log(
      `${opts.strategy}: ${result.sample.imageIndices.length} images in ${((performance.now() - started) / 1000).toFixed(1)} s\n` +
        formatQuality(result.report),
    );
    return { sample: result.sample, quality: result.report.metrics, details: result.details };
  },
};

export default step;
