/**
 * Rare quota usage: for each quota value, how many rare classes the subset left unsampled,
 * under their quota, under it with every one of their images selected (nothing left to give),
 * exactly at it, or over it (the soft cap's violations). One stacked bar per quota value reads at
 * a glance; the tooltip gives each group's image counts. The subtitle says how the quotas were
 * made: min(rare_cap, the class's images), rescaled to the rare budget, which is why a quota can
 * be above rare_cap.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';
import type { Chart, RareQuotaRescale, RareQuotaUse } from './types.js';

export const RARE_QUOTAS_FILE = 'lvis_rare_quota_usage';

export const QUOTA_STATUSES = ['not sampled', 'under quota', 'all its images', 'at quota', 'over quota'] as const;
export type QuotaStatus = (typeof QUOTA_STATUSES)[number];
const STATUS_COLORS = ['#c7c7c7', '#f2cf5b', '#6b9ac4', '#54a24b', '#d6404e'];

/**
 * A class with no selected image is "not sampled", whatever its quota (a quota of 0 included);
 * one under its quota with all its images selected has "all its images" (it could not be at quota).
 */
export function quotaStatus(u: RareQuotaUse): QuotaStatus {
  if (u.used > u.quota) return 'over quota';
  if (u.used === 0) return 'not sampled';
  if (u.used === u.quota) return 'at quota';
  return u.used >= u.images ? 'all its images' : 'under quota';
}

/** The subtitle's line on how quotas are made (none without the rescaling's numbers). */
function rescaleLine(uses: RareQuotaUse[], r: RareQuotaRescale | undefined): string[] {
  if (!r || r.cappedSum <= 0) return [];
  const factor = r.target / r.cappedSum;
  const above = uses.filter((u) => u.quota > r.rareCap).length;
  return [
    `Quota = min(rare_cap = ${r.rareCap}, the class's images), rescaled to ${r.target.toLocaleString('en-US')} images in all ` +
      `(${factor.toFixed(2)}× their sum of ${r.cappedSum.toLocaleString('en-US')}), rounded down, at least 1 with the cover on.`,
    above > 0
      ? `${above.toLocaleString('en-US')} ${above === 1 ? 'class has a quota' : 'classes have quotas'} above rare_cap: the rescaling raised ${above === 1 ? 'it' : 'them'}.`
      : 'No quota is above rare_cap.',
  ];
}

export function rareQuotaUsageChart(uses: RareQuotaUse[], rescale?: RareQuotaRescale): Chart {
  const groups = new Map<string, { quota: number; status: QuotaStatus; classes: number; images: number; maxUsed: number; examples: string[] }>();
  for (const u of uses) {
    const status = quotaStatus(u);
    const key = `${u.quota}|${status}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { quota: u.quota, status, classes: 0, images: 0, maxUsed: 0, examples: [] }));
    g.classes++;
    g.images += u.used;
    g.maxUsed = Math.max(g.maxUsed, u.used);
    if (g.examples.length < 5) g.examples.push(u.categoryName);
  }
  const rows = [...groups.values()]
    .sort((a, b) => a.quota - b.quota || QUOTA_STATUSES.indexOf(a.status) - QUOTA_STATUSES.indexOf(b.status))
    .map((g) => ({
      ...g,
      quotaLabel: `quota ${g.quota}`,
      order: QUOTA_STATUSES.indexOf(g.status),
      examples: g.examples.join(', ') + (g.classes > g.examples.length ? ', …' : ''),
    }));
  const quotaLabels = [...new Set(rows.map((r) => r.quotaLabel))];
  // Label only segments tall enough to hold a line of text.
  const tallest = Math.max(1, ...quotaLabels.map((q) => rows.filter((r) => r.quotaLabel === q).reduce((s, r) => s + r.classes, 0)));
  const minLabelled = tallest * 0.05;
  const count = (s: QuotaStatus) => uses.filter((u) => quotaStatus(u) === s).length;
  const title = 'Rare quota usage';
  const x = { field: 'quotaLabel', type: 'nominal', sort: quotaLabels, title: 'Image quota of the class', axis: { labelAngle: 0 } } as const;
  const y = { field: 'classes', type: 'quantitative', stack: 'zero', title: 'Rare classes' } as const;
  const order = { field: 'order', type: 'quantitative' } as const;
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: title,
      subtitle: [
        `${uses.length.toLocaleString('en-US')} rare classes with a quota: ${count('at quota')} at quota, ${count('under quota')} under, ` +
          (count('all its images') > 0 ? `${count('all its images')} under it with every image of theirs selected, ` : '') +
          `${count('not sampled')} not sampled, ${count('over quota')} over (soft-cap violations).`,
        ...rescaleLine(uses, rescale),
      ],
    },
    config: CHART_CONFIG,
    data: { values: rows },
    width: Math.max(220, 90 * quotaLabels.length),
    height: 280,
    layer: [
      {
        mark: { type: 'bar', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x,
          y,
          order,
          color: {
            field: 'status',
            type: 'nominal',
            title: 'Selected images vs quota',
            scale: { domain: [...QUOTA_STATUSES], range: STATUS_COLORS },
          },
          tooltip: [
            { field: 'quotaLabel', title: 'Quota' },
            { field: 'status', title: 'Status' },
            { field: 'classes', title: 'Rare classes' },
            { field: 'images', title: 'Images containing them (sum)' },
            { field: 'maxUsed', title: 'Most images of one class' },
            { field: 'examples', title: 'Classes' },
          ],
        },
      },
      {
        transform: [{ filter: `datum.classes >= ${minLabelled}` }],
        mark: { type: 'text', baseline: 'middle', fontSize: 11, color: '#222222' },
        encoding: {
          x,
          y: { ...y, bandPosition: 0.5 },
          order,
          text: { field: 'classes', type: 'quantitative' },
        },
      },
    ],
  };
  return { id: 'rare-quotas', fileBase: RARE_QUOTAS_FILE, title, spec };
}
