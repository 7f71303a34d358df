import type { StepModule } from '../runner/step/step.js';
import synth from './synth.js';
import load from './load.js';
import stats from './stats.js';
import targetMix from './target-mix.js';
import histograms from './histograms.js';
import quotas from './quotas.js';
import greedySample from './greedy-sample.js';
import write from './write.js';
import keptCategories from './kept-categories.js';
import pruneGt from './prune-gt.js';
import prunePreds from './prune-preds.js';
import plot from './plot.js';
import plotTiers from './plot-tiers.js';
import report from './report.js';
import evaluate from './evaluate.js';
import images from './images.js';

/**
 * Every step type lvis-pipe knows, by type name. The runner is generic and receives this
 * registry from the CLI. To add a step: create src/steps/<type>.ts with a default export,
 * and add it here (one line).
 */
export const STEP_MODULES: StepModule[] = [
  synth,
  load,
  stats,
  targetMix,
  histograms,
  quotas,
  greedySample,
  write,
  keptCategories,
  pruneGt,
  prunePreds,
  plotTiers,
  plot,
  report,
  evaluate,
  images,
];
