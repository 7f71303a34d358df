/**
 * Step `plot`: the run's charts as SVG and PNG files (src/lvis/plots/, rendered headless by
 * src/render/), and their specs for the report. Every chart is a file output with its own path
 * option, so the runner caches, materializes and restores each file like any other output; set
 * a path to null to keep that file in the cache only.
 */
import { writeFile } from 'node:fs/promises';
import { chartsKind } from './kinds.js';
import type { JsonSchema, OutputSpec, StepModule } from '../runner/step/step.js';
import type { SampleDetails } from '../lvis/sampler/sampler.js';
import type { TierStats } from '../lvis/sampler/tier-stats.js';
import { type ChartSet } from '../lvis/plots/types.js';
import { chartDataFromSampler } from '../lvis/plots/from-sampler.js';
import { buildAllCharts } from '../lvis/plots/index.js';
import { drawChart } from '../lvis/plots/draw.js';
import { CLASS_SIZE_FIDELITY_FILE } from '../lvis/plots/class-size-fidelity.js';
import { OBJECTIVE_FILE } from '../lvis/plots/objective-trace.js';
import { RARE_QUOTAS_FILE } from '../lvis/plots/rare-quota-usage.js';
import { SIZE_SHARES_FILE } from '../lvis/plots/size-shares.js';
import { TIER_BARS_FILE } from '../lvis/plots/tier-bars.js';
import type { ChartId } from '../lvis/plots/types.js';

/** Each chart's output-name prefix, in the order the charts are made. */
export const PLOT_OUTPUTS: { chart: ChartId; name: string; file: string; what: string }[] = [
  { chart: 'tier-bars', name: 'tiers', file: TIER_BARS_FILE, what: 'tier bars, train vs val (the original tool’s plot_tier_bars)' },
  { chart: 'class-size-fidelity', name: 'fidelity', file: CLASS_SIZE_FIDELITY_FILE, what: 'class×size fidelity scatter' },
  { chart: 'size-shares', name: 'size_shares', file: SIZE_SHARES_FILE, what: 'per-tier S/M/L shares, full vs subset' },
  { chart: 'objective', name: 'objective', file: OBJECTIVE_FILE, what: 'sampler objective over the iterations' },
  { chart: 'rare-quotas', name: 'rare_quotas', file: RARE_QUOTAS_FILE, what: 'rare quota usage' },
];

const FORMATS = ['png', 'svg'] as const;

export const DEFAULT_PLOT_DIR = 'out/plots';

interface Inputs {
  train: TierStats;
  val?: TierStats;
  details: SampleDetails;
}

type Options = { scale: number } & Record<string, string | null | number>;

const pathOptions: Record<string, unknown> = {};
const outputs: Record<string, OutputSpec> = {
  charts: { kind: chartsKind.name, description: 'Every chart as a Vega-Lite spec with its data, for the report' },
};
for (const o of PLOT_OUTPUTS) {
  for (const f of FORMATS) {
    const name = `${o.name}_${f}`;
    pathOptions[name] = {
      type: ['string', 'null'],
      default: `${DEFAULT_PLOT_DIR}/${o.file}.${f}`,
      description: `Where to write the ${f.toUpperCase()} of the ${o.what} (null: keep it in the cache only)`,
    };
    outputs[name] = { kind: 'file', pathOption: name, description: `${o.what} (${f.toUpperCase()})` };
  }
}

/**
 * The options, declared once: `scale`, and a path option per chart and format, generated from
 * PLOT_OUTPUTS (so their type is the record below, not inferred).
 */
const optionsSchema = {
  type: 'object',
  properties: {
    scale: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 8,
      default: 2,
      description: 'PNG pixels per SVG pixel (2: sharp on high-density screens)',
    },
    ...pathOptions,
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

const step: StepModule<Options, Inputs, { charts: ChartSet }> = {
  type: 'plot',
  version: 1,
  description:
    'Charts of the run as SVG and PNG: tier bars train vs val, class×size fidelity, per-tier size shares, the objective over the iterations, rare quota usage',
  optionsSchema,

  inputs: {
    train: { kind: 'lvis.tier-stats', description: 'Tier stats of the train set, from a `stats` step' },
    val: { kind: 'lvis.tier-stats', optional: true, description: 'Tier stats of the val set, for the tier bars' },
    details: { kind: 'lvis.sample-details', description: 'The `details` output of a `greedy-sample` step' },
  },
  outputs,
  kinds: [chartsKind],
  // About 7 s at full LVIS scale (3,600 keys, measured on a 2-core machine; most of it
  // Vega's layout of the fidelity scatter and resvg): a worker keeps it beside `write`.
  cpuHeavy: true,
  async run(ctx) {
    const { train, val, details } = ctx.inputs;
    const charts = buildAllCharts(chartDataFromSampler(train, val, details));
    ctx.progress.start('charts', charts.length, 'charts');
    for (const [i, chart] of charts.entries()) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
      const name = PLOT_OUTPUTS.find((o) => o.chart === chart.id)!.name;
      const drawn = await drawChart(chart, ctx.options.scale);
      for (const w of drawn.warnings) ctx.log(`${chart.id}: ${w}`);
      await writeFile(ctx.outputFile(`${name}_svg`), drawn.svg);
      await writeFile(ctx.outputFile(`${name}_png`), drawn.png);
      ctx.log(`${chart.title}: ${drawn.width}×${drawn.height} SVG, ${drawn.pngWidth}×${drawn.pngHeight} PNG`);
      ctx.progress.update(i + 1);
    }
    ctx.progress.done();
    return { charts: { charts } };
  },
};

export default step;
