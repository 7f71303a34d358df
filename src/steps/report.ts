/**
 * Step `report`: declares the run report and gathers what it shows from the steps (the charts,
 * as Vega-Lite specs with their data). The HTML itself is a view of a *run*: which steps ran or
 * were cache hits, and how long each took, is known only once the run is over, and a cached
 * step cannot know it. So the page is written after the run, from the run's history record
 * and this step's content (report-run.ts): by this step's `afterRun` hook at the end
 * of every run, and on demand by `lvis-pipe report FILE` (for an older run).
 */
import type { JsonSchema, StepModule } from '../runner/step/step.js';
import type { OptionsOf } from '../runner/step/options.js';
import { reportContentKind } from './kinds.js';
import type { ChartSet } from '../lvis/plots/types.js';
import type { ReportContent } from '../lvis/report/model.js';

/** The options, declared once (see src/runner/step/options.ts). */
const optionsSchema = {
  type: 'object',
  properties: {
    out: {
      type: 'string',
      minLength: 1,
      default: 'out/report.html',
      description: 'Where the HTML report is written at the end of each run (relative to the pipeline file)',
    },
    title: { type: 'string', minLength: 1, default: 'lvis-pipe run report', description: 'The report’s title' },
  },
  additionalProperties: false,
} as const satisfies JsonSchema;

type Options = OptionsOf<typeof optionsSchema>;

const step: StepModule<Options, { dataset_charts?: ChartSet; charts?: ChartSet }, { content: ReportContent }> = {
  type: 'report',
  version: 1,
  description:
    'A self-contained HTML report of the run (parameters, the DAG with cache status and times, quality metrics, interactive charts), written when the run ends',
  optionsSchema,

  inputs: {
    dataset_charts: { kind: 'lvis.charts', optional: true, description: 'The `charts` output of a `plot-tiers` step (shown first)' },
    charts: { kind: 'lvis.charts', optional: true, description: 'The `charts` output of a `plot` step' },
  },
  outputs: {
    content: { kind: reportContentKind.name, description: 'What the report shows besides the run itself: title and charts' },
  },
  kinds: [reportContentKind],
  async run(ctx) {
    const charts = [...(ctx.inputs.dataset_charts?.charts ?? []), ...(ctx.inputs.charts?.charts ?? [])];
    ctx.log(`${charts.length} chart${charts.length === 1 ? '' : 's'}; the HTML is written when the run ends`);
    return { content: { title: ctx.options.title, charts: charts.map((c) => ({ id: c.id, title: c.title, fileBase: c.fileBase, spec: c.spec })) } };
  },
  // The page shows which steps ran or were cache hits and their times: known only once the
  // run is over, so it is written then, on every run (the renderer loads only here).
  async afterRun(ctx) {
    const { writeStepReport } = await import('./report-run.js');
    const sweep = ctx.sweep?.map((v) => ({ ...v }));
    const file = await writeStepReport(ctx.pipeline, ctx.history, ctx.outputs.content, ctx.options.out, {
      generator: sweep ? 'lvis-pipe sweep' : 'lvis-pipe',
      ...(sweep ? { sweep } : {}),
    });
    return [file];
  },
  afterRunFiles: ['out'],
};

export default step;
