/**
 * The original tool's plot_tier_bars: for each split (train, val, ...) the classes, annotations and images
 * per frequency tier, side by side. Bar heights are shares of the split's own total so that a
 * 20k-image val reads against a 100k-image train; each bar is labelled with its count.
 */
import type { TopLevelSpec } from 'vega-lite';
import { TIERS } from '../dataset/dataset.js';
import { CHART_CONFIG, SPLIT_COLORS, TIER_LABELS, VEGA_LITE_SCHEMA, compactCount, percent, tierLabel } from './theme.js';
import type { Chart, SplitTierStats } from './types.js';

export const TIER_BARS_FILE = 'lvis_tiers_train_val';

const MEASURES = [
  { key: 'categories', label: 'Classes', axis: 'Share of classes', note: 'categories of the tier' },
  { key: 'annotations', label: 'Annotations', axis: 'Share of annotations', note: 'annotations of the tier' },
  { key: 'images', label: 'Images', axis: 'Share of images', note: 'images with ≥1 annotation of the tier' },
] as const;

interface TierBarRow {
  split: string;
  tier: string;
  count: number;
  share: number;
  countLabel: string;
  shareLabel: string;
}

export function tierBarsChart(splits: SplitTierStats[]): Chart {
  if (splits.length === 0) throw new Error('tierBarsChart: at least one split is needed');
  const splitNames = splits.map((s) => s.name);
  const title = `Frequency tiers: ${splitNames.join(' vs ')}`;
  const panels = MEASURES.map((m) => {
    const rows: TierBarRow[] = [];
    for (const split of splits) {
      for (const tier of TIERS) {
        const counts = split.tiers.find((t) => t.tier === tier);
        const count = counts ? counts[m.key] : 0;
        const total = split.totals[m.key];
        const share = total > 0 ? count / total : 0;
        rows.push({
          split: split.name,
          tier: tierLabel(tier),
          count,
          share,
          countLabel: compactCount(count),
          shareLabel: percent(share),
        });
      }
    }
    const x = { field: 'tier', type: 'nominal', sort: TIER_LABELS, title: 'Frequency tier', axis: { labelAngle: 0 } } as const;
    const xOffset = { field: 'split', type: 'nominal', sort: splitNames } as const;
    return {
      title: { text: m.label, fontSize: 13, anchor: 'middle' as const },
      data: { values: rows },
      width: 44 * TIERS.length * Math.max(2, Math.min(splits.length, 4)),
      height: 240,
      layer: [
        {
          mark: { type: 'bar' as const, cornerRadiusEnd: 2 },
          encoding: {
            x,
            xOffset,
            y: {
              field: 'share',
              type: 'quantitative' as const,
              title: m.axis,
              // Headroom above 100% keeps the count labels inside the panel, so the three
              // panel titles line up.
              axis: { format: '.0%', values: [0, 0.2, 0.4, 0.6, 0.8, 1] },
              scale: { domain: [0, 1.08] },
            },
            color: {
              field: 'split',
              type: 'nominal' as const,
              title: 'Split',
              scale: { domain: splitNames, range: SPLIT_COLORS.slice(0, splitNames.length) },
            },
            tooltip: [
              { field: 'split', title: 'Split' },
              { field: 'tier', title: 'Tier' },
              { field: 'count', type: 'quantitative' as const, title: m.label, format: ',' },
              { field: 'shareLabel', title: `Share (${m.note})` },
            ],
          },
        },
        {
          mark: { type: 'text' as const, baseline: 'bottom' as const, dy: -3, fontSize: 10, color: '#333333' },
          encoding: {
            x,
            xOffset,
            y: { field: 'share', type: 'quantitative' as const },
            text: { field: 'countLabel' },
          },
        },
      ],
    };
  });
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: title,
      subtitle: 'Bar height: share of the split’s total (images: share containing the tier). Label: count.',
    },
    config: CHART_CONFIG,
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  };
  return { id: 'tier-bars', fileBase: TIER_BARS_FILE, title, spec };
}
