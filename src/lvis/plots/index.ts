/**
 * Every chart of a run, from what the `plot` step gathered. Each builder is a pure function;
 * a chart whose data is absent (no sampler details, no rare quotas) is simply not made.
 */
import { classSizeFidelityChart } from './class-size-fidelity.js';
import { objectiveChart } from './objective-trace.js';
import { rareQuotaUsageChart } from './rare-quota-usage.js';
import { sizeSharesChart } from './size-shares.js';
import { tierBarsChart } from './tier-bars.js';
import type { Chart, KeyShare, ObjectivePoint, RareQuotaUse, SplitTierStats, TierSizeShare } from './types.js';

export * from './types.js';
export { classSizeFidelityChart, objectiveChart, rareQuotaUsageChart, sizeSharesChart, tierBarsChart };

export interface ChartData {
  /** Train first, then val (or any other split), for the tier bars. */
  splits: SplitTierStats[];
  keyShares?: KeyShare[];
  sizeShares?: TierSizeShare[];
  objective?: ObjectivePoint[];
  rareQuotas?: RareQuotaUse[];
}

export function buildCharts(data: ChartData): Chart[] {
  const charts: Chart[] = [];
  if (data.splits.length) charts.push(tierBarsChart(data.splits));
  if (data.keyShares?.length) charts.push(classSizeFidelityChart(data.keyShares));
  if (data.sizeShares?.length) charts.push(sizeSharesChart(data.sizeShares));
  if (data.objective?.length) charts.push(objectiveChart(data.objective));
  if (data.rareQuotas?.length) charts.push(rareQuotaUsageChart(data.rareQuotas));
  return charts;
}
