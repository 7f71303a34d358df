/**
 * The look shared by every lvis-pipe chart: one font (the renderer's vendored DejaVu Sans), one
 * colour per frequency tier and per compared set, so a colour means the same thing everywhere.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_FONT_STACK } from '../../render/fonts.js';
import { TIERS, TIER_NAMES, type Tier } from '../dataset/dataset.js';

export type ChartConfig = NonNullable<TopLevelSpec['config']>;

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Tier display names in the fixed order frequent, common, rare. */
export const TIER_LABELS: string[] = TIERS.map((t) => TIER_NAMES[t]);
/** Blue for the well-sampled head, amber for the middle, red for the long tail. */
export const TIER_COLORS: string[] = ['#4c78a8', '#f2a03d', '#d6404e'];

export function tierLabel(tier: Tier): string {
  return TIER_NAMES[tier];
}

/** Full set against subset: neutral grey against a saturated teal. */
export const FULL_VS_SUBSET = { domain: ['full set', 'subset'], range: ['#9d9d9d', '#1b9e8a'] };

/** Splits (train, val, ...): shades of one hue, distinct from the tier colours. */
export const SPLIT_COLORS = ['#2f5f8a', '#8fbbd9', '#b58ad1', '#6fbf73'];

export const CHART_CONFIG: ChartConfig = {
  font: CHART_FONT_STACK,
  background: 'white',
  padding: 12,
  title: { fontSize: 16, subtitleFontSize: 12, subtitleColor: '#555555', anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleColor: '#333333', labelColor: '#333333', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, symbolSize: 120 },
  header: { labelFontSize: 13, labelFontWeight: 'bold', titleFontSize: 12 },
  view: { stroke: '#d0d0d0' },
};

/** Format a share in [0, 1] as a percentage with up to two significant decimals. */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return String(share);
  const p = share * 100;
  return `${p >= 10 ? p.toFixed(1) : p >= 1 ? p.toFixed(2) : p.toPrecision(2)}%`;
}

/** A percentage short enough to label a narrow bar: 42%, 4.2%, 0.4%. */
export function shortPercent(share: number): string {
  if (!Number.isFinite(share)) return String(share);
  const p = share * 100;
  return `${p >= 9.95 ? p.toFixed(0) : p >= 0.995 ? p.toFixed(1) : p === 0 ? '0' : p.toPrecision(1)}%`;
}

/** Format a count compactly for labels: 1234 → 1.2k, 1270141 → 1.27M. */
export function compactCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${+(n / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${+(n / 1e3).toPrecision(3)}k`;
  return n.toLocaleString('en-US');
}
