/**
 * What the chart steps (`plot`, `plot-tiers`) share: a path option and a file output per chart
 * and format, made from one list, and the loop that draws the charts into those files.
 */
import { writeFile } from 'node:fs/promises';
import { noteWrite } from '../base/fs-problems.js';
import type { JsonSchema, OutputSpec, StepContext } from '../runner/step/step.js';
import { drawCharts } from '../lvis/plots/draw.js';
import type { Chart, ChartId } from '../lvis/plots/types.js';
import { chartsKind } from './kinds.js';

/** A chart a step writes: its id, the prefix of its outputs' names, its file name, and what it shows. */
export interface ChartFile {
  chart: ChartId;
  name: string;
  file: string;
  what: string;
}

const FORMATS = ['png', 'svg'] as const;

export const DEFAULT_PLOT_DIR = 'out/plots';

const SCALE_OPTION = {
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 8,
  default: 2,
  description: 'PNG pixels per SVG pixel (2: sharp on high-density screens)',
} as const;

/** A chart step's options: `scale`, and a path option per chart and format (made from its ChartFile list, so typed as this record). */
export type ChartStepOptions = { scale: number } & Record<string, string | null | number>;

/**
 * A chart step's options schema (`scale`, and a path option per chart and format) and its
 * outputs (a file per chart and format, plus the `charts` value for the report), both from one list.
 */
export function chartStepSchema(files: readonly ChartFile[]): { optionsSchema: JsonSchema; outputs: Record<string, OutputSpec> } {
  const pathOptions: Record<string, unknown> = {};
  const outputs: Record<string, OutputSpec> = {
    charts: { kind: chartsKind.name, description: 'Every chart as a Vega-Lite spec with its data, for the report' },
  };
  for (const o of files) {
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
  return { optionsSchema: { type: 'object', properties: { scale: SCALE_OPTION, ...pathOptions }, additionalProperties: false }, outputs };
}

/** Draws `charts` into the step's output files (the SVG and PNG of each), with progress and a log line each. */
export async function writeChartFiles(ctx: StepContext<{ scale: number }>, charts: readonly Chart[], files: readonly ChartFile[]): Promise<void> {
  ctx.progress.start('charts', charts.length, 'charts');
  let done = 0;
  await drawCharts(
    charts,
    ctx.options.scale,
    async (drawn) => {
      const name = files.find((o) => o.chart === drawn.chart.id)!.name;
      for (const w of drawn.warnings) ctx.log(`${drawn.chart.id}: ${w}`);
      for (const [file, bytes] of [[ctx.outputFile(`${name}_svg`), drawn.svg], [ctx.outputFile(`${name}_png`), drawn.png]] as const) {
        await writeFile(file, bytes).catch((err: unknown) => {
          throw noteWrite(err, file, Buffer.byteLength(bytes));
        });
      }
      ctx.log(`${drawn.chart.title}: ${drawn.width}×${drawn.height} SVG, ${drawn.pngWidth}×${drawn.pngHeight} PNG`);
      ctx.progress.update(++done);
    },
    ctx.signal,
  );
  ctx.progress.done();
}
