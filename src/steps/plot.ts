/**
 * Step `plot`: the sample's charts as SVG and PNG files (src/lvis/plots/, rendered headless by
 * src/render/), and their specs for the report: class×size fidelity, per-tier size shares, the
 * objective over the iterations and rare quota usage. The charts of the source data, which a
 * new sample does not change, are the `plot-tiers` step's. Every chart is a file output with its
 * own path option, so the runner caches, materializes and restores each file like any other
 * output; set a path to null to keep that file in the cache only.
 */
import { chartsKind } from './kinds.js';
import type { StepModule } from '../runner/step/step.js';
import type { SampleDetails } from '../lvis/sampler/sampler.js';
import type { ChartSet } from '../lvis/plots/types.js';
import { chartDataFromSampler } from '../lvis/plots/from-sampler.js';
import { sampleCharts } from '../lvis/plots/index.js';
import { CLASS_SIZE_FIDELITY_FILE } from '../lvis/plots/class-size-fidelity.js';
import { OBJECTIVE_FILE } from '../lvis/plots/objective-trace.js';
import { RARE_QUOTAS_FILE } from '../lvis/plots/rare-quota-usage.js';
import { SIZE_SHARES_FILE } from '../lvis/plots/size-shares.js';
import { warmUpCharts } from '../lvis/plots/draw.js';
import { chartStepSchema, writeChartFiles, type ChartFile, type ChartStepOptions } from './chart-files.js';

/** Each chart's output-name prefix, in the order the charts are made. */
export const PLOT_OUTPUTS: ChartFile[] = [
  { chart: 'class-size-fidelity', name: 'fidelity', file: CLASS_SIZE_FIDELITY_FILE, what: 'class×size fidelity scatter' },
  { chart: 'size-shares', name: 'size_shares', file: SIZE_SHARES_FILE, what: 'per-tier S/M/L shares, full vs subset' },
  { chart: 'objective', name: 'objective', file: OBJECTIVE_FILE, what: 'sampler objective over the iterations' },
  { chart: 'rare-quotas', name: 'rare_quotas', file: RARE_QUOTAS_FILE, what: 'rare quota usage' },
];

/** The options, declared once: `scale`, and a path option per chart and format, from PLOT_OUTPUTS. */
const { optionsSchema, outputs } = chartStepSchema(PLOT_OUTPUTS);

const step: StepModule<ChartStepOptions, { details: SampleDetails }, { charts: ChartSet }> = {
  type: 'plot',
  version: 2,
  description: 'Charts of the sample as SVG and PNG: class×size fidelity, per-tier size shares, the objective over the iterations, rare quota usage',
  optionsSchema,

  inputs: {
    details: { kind: 'lvis.sample-details', description: 'The `details` output of a `greedy-sample` step' },
  },
  outputs,
  kinds: [chartsKind],
  // About 1 s at full LVIS scale on a 2-core machine (most of it Vega's layout of the 3,600-key
  // fidelity scatter; resvg rasterizes in the thread pool beside it): a worker keeps it beside `write`.
  cpuHeavy: true,
  warmUp: warmUpCharts,
  async run(ctx) {
    const charts = sampleCharts(chartDataFromSampler(ctx.inputs.details));
    await writeChartFiles(ctx, charts, PLOT_OUTPUTS);
    return { charts: { charts } };
  },
};

export default step;
