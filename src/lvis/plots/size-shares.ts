/**
 * Per-tier S/M/L shares, full set against subset: within each frequency tier, the share of its
 * annotations that are small, medium and large. The sampler matches class×size counts, so a
 * good subset's teal bars stand level with the grey ones.
 */
import type { TopLevelSpec } from 'vega-lite';
import { TIERS } from '../dataset/dataset.js';
import { CHART_CONFIG, FULL_VS_SUBSET, TIER_LABELS, VEGA_LITE_SCHEMA, percent, shortPercent, tierLabel } from './theme.js';
import { SIZE_BUCKETS, type Chart, type TierSizeShare } from './types.js';

export const SIZE_SHARES_FILE = 'lvis_size_shares';

const SIZE_NAMES: Record<string, string> = { S: 'S (small)', M: 'M (medium)', L: 'L (large)' };

export function sizeSharesChart(shares: TierSizeShare[]): Chart {
  const rows = shares.flatMap((s) =>
    (['full', 'subset'] as const).map((which) => ({
      tier: tierLabel(s.tier),
      size: SIZE_NAMES[s.size] ?? s.size,
      set: which === 'full' ? FULL_VS_SUBSET.domain[0]! : FULL_VS_SUBSET.domain[1]!,
      share: s[which],
      label: percent(s[which]),
      barLabel: shortPercent(s[which]),
      delta: which === 'subset' ? `${s.subset >= s.full ? '+' : '−'}${(Math.abs(s.subset - s.full) * 100).toFixed(1)} pts` : '',
    })),
  );
  const tiersPresent = TIERS.filter((t) => shares.some((s) => s.tier === t)).map(tierLabel);
  const sizeOrder = SIZE_BUCKETS.map((s) => SIZE_NAMES[s]!);
  const maxShare = Math.max(0.01, ...rows.map((r) => r.share));
  const title = 'Object sizes per tier: full set vs subset';
  const x = { field: 'size', type: 'nominal', sort: sizeOrder, title: 'Size bucket', axis: { labelAngle: 0 } } as const;
  const xOffset = { field: 'set', type: 'nominal', sort: FULL_VS_SUBSET.domain } as const;
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: title,
      subtitle: 'Share of each tier’s annotations that are small, medium and large (area thresholds of the run).',
    },
    config: CHART_CONFIG,
    data: { values: rows },
    facet: {
      column: {
        field: 'tier',
        type: 'nominal',
        sort: TIER_LABELS.filter((t) => tiersPresent.includes(t)),
        title: null,
        header: { labelOrient: 'top' },
      },
    },
    spec: {
      width: 240,
      height: 230,
      layer: [
        {
          mark: { type: 'bar', cornerRadiusEnd: 2 },
          encoding: {
            x,
            xOffset,
            y: {
              field: 'share',
              type: 'quantitative',
              title: 'Share of the tier’s annotations',
              axis: { format: '.0%' },
              scale: { domain: [0, Math.min(1, maxShare * 1.15)] },
            },
            color: { field: 'set', type: 'nominal', title: 'Set', scale: FULL_VS_SUBSET },
            tooltip: [
              { field: 'tier', title: 'Tier' },
              { field: 'size', title: 'Size' },
              { field: 'set', title: 'Set' },
              { field: 'label', title: 'Share' },
              { field: 'delta', title: 'Subset − full' },
            ],
          },
        },
        {
          mark: { type: 'text', baseline: 'bottom', dy: -3, fontSize: 10, color: '#333333' },
          encoding: { x, xOffset, y: { field: 'share', type: 'quantitative' }, text: { field: 'barLabel' } },
        },
      ],
    },
  };
  return { id: 'size-shares', fileBase: SIZE_SHARES_FILE, title, spec };
}
