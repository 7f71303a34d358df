/**
 * Every chart of a run, from what the `plot` step gathered. Each builder is a pure function;
 * a chart whose data is absent (no sampler details, no rare quotas) is simply not made.
 */
import { CLASS_SIZE_FIDELITY_FILE, classSizeFidelityChart } from './class-size-fidelity.js';
import { noteChart } from './note-chart.js';
import { OBJECTIVE_FILE, objectiveChart } from './objective-trace.js';
import { RARE_QUOTAS_FILE, rareQuotaUsageChart } from './rare-quota-usage.js';
import { SIZE_SHARES_FILE, sizeSharesChart } from './size-shares.js';
import { tierBarsChart } from './tier-bars.js';
import type { Chart, KeyShare, ObjectivePoint, RareQuotaRescale, RareQuotaUse, SplitTierStats, TierSizeShare } from './types.js';

export * from './types.js';
export { classSizeFidelityChart, noteChart, objectiveChart, rareQuotaUsageChart, sizeSharesChart, tierBarsChart };

export interface ChartData {
  /** Train first, then val (or any other split), for the tier bars. */
  splits: SplitTierStats[];
  keyShares?: KeyShare[];
  sizeShares?: TierSizeShare[];
  objective?: ObjectivePoint[];
  rareQuotas?: RareQuotaUse[];
  /** How the rare quotas were made (rare_cap, rescaling), for the rare quota chart's subtitle. */
  quotaRescale?: RareQuotaRescale;
  /** The sampler strategy, to explain an empty objective trace. */
  strategy?: string;
}

export function buildCharts(data: ChartData): Chart[] {
  const charts: Chart[] = [];
  if (data.splits.length) charts.push(tierBarsChart(data.splits));
  if (data.keyShares?.length) charts.push(classSizeFidelityChart(data.keyShares));
  if (data.sizeShares?.length) charts.push(sizeSharesChart(data.sizeShares));
  if (data.objective?.length) charts.push(objectiveChart(data.objective));
  if (data.rareQuotas?.length) charts.push(rareQuotaUsageChart(data.rareQuotas, data.quotaRescale));
  return charts;
}

/**
 * The charts of the source data: the tier bars, train vs val. They do not depend on the sample,
 * so the pipeline draws them in a step of their own (`plot-tiers`) that a new sample leaves
 * cached.
 */
export function datasetCharts(splits: SplitTierStats[]): Chart[] {
  return [tierBarsChart(splits)];
}

/**
 * The four charts of a sample, always: a chart without data is a note that says why (what the
 * `plot` step writes, since each chart is a file output the runner expects).
 */
export function sampleCharts(data: Omit<ChartData, 'splits'>): Chart[] {
  const made = new Map(buildCharts({ ...data, splits: [] }).map((c) => [c.id, c]));
  const noKeys = 'No (category, size) keys: the full set has no annotation with a size bucket.';
  return [
    made.get('class-size-fidelity') ?? noteChart('class-size-fidelity', CLASS_SIZE_FIDELITY_FILE, 'Class×size fidelity: subset vs full set', noKeys),
    made.get('size-shares') ?? noteChart('size-shares', SIZE_SHARES_FILE, 'Object sizes per tier: full set vs subset', noKeys),
    made.get('objective') ??
      noteChart(
        'objective',
        OBJECTIVE_FILE,
        'Sampler objective over the iterations',
        data.strategy && data.strategy !== 'greedy'
          ? `No objective trace: the \`${data.strategy}\` strategy does not build the subset by minimising it.`
          : 'No objective trace: the sampler selected no image.',
      ),
    made.get('rare-quotas') ??
      noteChart('rare-quotas', RARE_QUOTAS_FILE, 'Rare quota usage', 'No rare class has a quota: the dataset has no rare category with annotations.'),
  ];
}
