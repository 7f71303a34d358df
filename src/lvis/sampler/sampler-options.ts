/** The domain options of `greedy-sample` (the step declares them: src/steps/greedy-sample.ts), and its hooks. */
import type { Mismatch, TierMembership } from './objective-terms.js';
import type { SamplerStrategy } from './sample.js';
import type { PerTier } from './tiers.js';

export interface SamplerOptions {
  strategy: SamplerStrategy;
  /** The class×size mismatch term: `js` (default; objective-js.ts), `chi2` or `seed` (score_classsize). */
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
  /** chi2 only: weight of the density term (density.ts); 0: none. */
  lambdaDensity: number;
  /** chi2 greedy only: the density band's width b (density-band.ts), or `free`: no band. */
  densityBand: number | 'free';
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

export interface SamplerHooks {
  signal?: AbortSignal;
  progress?: (phase: string, done: number, total: number) => void;
}
