/**
 * The `lvis.charts` artifact: every chart of a run as a Vega-Lite spec with its data inline,
 * made by the `plot` step and embedded by the report (interactive, through vega-embed).
 */
import type { ArtifactKind } from '../../runner/step/step.js';
import type { Chart } from './types.js';

export const CHARTS_KIND_NAME = 'lvis.charts';

export interface ChartSet {
  charts: Chart[];
}

export const chartsKind: ArtifactKind<ChartSet> = {
  name: CHARTS_KIND_NAME,
  storage: 'value',
  description: 'The charts of a run: Vega-Lite specs with their data inline (JSON)',
  encode: (value) => new TextEncoder().encode(JSON.stringify(value)),
  decode: (bytes) => JSON.parse(new TextDecoder().decode(bytes)) as ChartSet,
};
