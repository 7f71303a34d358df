/**
 * The part of a `buildCharts` input that chart tests share: train/val tier stats and S/M/L
 * shares of a small hand-made sample. Each test adds the key shares, objective trace and rare
 * quotas its checks are about.
 */
import type { ChartData } from '../../src/lvis/plots/index.js';

export const SAMPLE_SPLITS: ChartData['splits'] = [
  { name: 'train', tiers: [{ tier: 'f', categories: 4, annotations: 900, images: 80 }, { tier: 'c', categories: 5, annotations: 90, images: 30 }, { tier: 'r', categories: 3, annotations: 9, images: 6 }], totals: { categories: 12, annotations: 999, images: 100 } },
  { name: 'val', tiers: [{ tier: 'f', categories: 4, annotations: 200, images: 19 }, { tier: 'c', categories: 4, annotations: 20, images: 7 }, { tier: 'r', categories: 1, annotations: 1, images: 1 }], totals: { categories: 9, annotations: 221, images: 20 } },
];

export const SAMPLE_SIZE_SHARES: NonNullable<ChartData['sizeShares']> = [
  { tier: 'f', size: 'S', full: 0.5, subset: 0.4 },
  { tier: 'f', size: 'M', full: 0.3, subset: 0.4 },
  { tier: 'f', size: 'L', full: 0.2, subset: 0.2 },
];
