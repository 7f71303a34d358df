/**
 * A chart that has nothing to draw says why, in its own title frame: the `plot` step always
 * writes every chart file, so a reader finds the explanation where the chart would be.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';
import type { Chart, ChartId } from './types.js';

export function noteChart(id: ChartId, fileBase: string, title: string, message: string): Chart {
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: title, subtitle: 'Nothing to draw for this run.' },
    config: { ...CHART_CONFIG, view: { stroke: null } },
    width: 480,
    height: 60,
    data: { values: [{ message }] },
    mark: { type: 'text', align: 'left', baseline: 'middle', fontSize: 13, color: '#555555', x: 0, y: 30 },
    encoding: { text: { field: 'message' } },
  };
  return { id, fileBase, title, spec };
}
