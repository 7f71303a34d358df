/**
 * Step `plot-tiers`: the charts of the source data, as SVG and PNG files: the tier bars, train
 * vs val (the original tool's plot_tier_bars). A step of their own because they do not depend
 * on the sample: a rerun with a new sample leaves them cached.
 */
import { chartsKind } from './kinds.js';
import type { StepModule } from '../runner/step/step.js';
import type { TierStats } from '../lvis/sampler/tier-stats.js';
import type { ChartSet } from '../lvis/plots/types.js';
import { splitsFromTierStats } from '../lvis/plots/from-sampler.js';
import { datasetCharts } from '../lvis/plots/index.js';
import { TIER_BARS_FILE } from '../lvis/plots/tier-bars.js';
import { warmUpCharts } from '../lvis/plots/draw.js';
import { chartStepSchema, writeChartFiles, type ChartFile, type ChartStepOptions } from './chart-files.js';

export const TIER_PLOT_OUTPUTS: ChartFile[] = [
  { chart: 'tier-bars', name: 'tiers', file: TIER_BARS_FILE, what: 'tier bars, train vs val (the original tool’s plot_tier_bars)' },
];

/** The options, declared once: `scale`, and a path option per chart and format, from TIER_PLOT_OUTPUTS. */
const { optionsSchema, outputs } = chartStepSchema(TIER_PLOT_OUTPUTS);

const step: StepModule<ChartStepOptions, { train: TierStats; val?: TierStats }, { charts: ChartSet }> = {
  type: 'plot-tiers',
  version: 1,
  description: 'Charts of the source data as SVG and PNG: the tier bars, train vs val (they do not depend on the sample, so a new sample leaves them cached)',
  optionsSchema,

  inputs: {
    train: { kind: 'lvis.tier-stats', description: 'Tier stats of the train set, from a `stats` step' },
    val: { kind: 'lvis.tier-stats', optional: true, description: 'Tier stats of the val set' },
  },
  outputs,
  kinds: [chartsKind],
  // Loading Vega and laying out one chart takes ~0.5 s: a worker keeps it beside the sampler.
  cpuHeavy: true,
  warmUp: warmUpCharts,
  async run(ctx) {
    const charts = datasetCharts(splitsFromTierStats(ctx.inputs.train, ctx.inputs.val));
    await writeChartFiles(ctx, charts, TIER_PLOT_OUTPUTS);
    return { charts: { charts } };
  },
};

export default step;
