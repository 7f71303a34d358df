/**
 * Class×size fidelity: every (category, size) key's share of the subset against its share of the
 * full set, on log–log axes, coloured by tier. A faithful subset hugs the dashed y = x line; a
 * key above it is over-represented, below it under-represented. Keys that the subset lacks
 * entirely have no place on a log axis: they are drawn as crosses on a floor line under the
 * smallest positive share, and counted in the subtitle.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, TIER_COLORS, TIER_LABELS, VEGA_LITE_SCHEMA, percent, tierLabel } from './theme.js';
import type { Chart, KeyShare } from './types.js';

export const CLASS_SIZE_FIDELITY_FILE = 'lvis_class_size_fidelity';

const PRESENT = 'in subset';
const ABSENT = 'absent from subset';

export function classSizeFidelityChart(keys: KeyShare[]): Chart {
  const positive = keys.flatMap((k) => [k.fullShare, k.subsetShare]).filter((v) => v > 0);
  // Both axes share one domain so that y = x is the diagonal of a square plot.
  const lo = positive.length ? Math.min(...positive) : 1e-6;
  const hi = positive.length ? Math.max(...positive) : 1;
  // The floor sits a little under the smallest share the subset has, so crosses read as "below
  // anything the subset kept" without stretching the axis.
  const subsetPositive = keys.map((k) => k.subsetShare).filter((v) => v > 0);
  const floor = (subsetPositive.length ? Math.min(...subsetPositive) : lo) / 3;
  // Whole decades, so that the axes tick at powers of ten and y = x runs corner to corner.
  const domain = [10 ** Math.floor(Math.log10(Math.min(floor, lo) / 1.2)), Math.min(1, 10 ** Math.ceil(Math.log10(hi)))];
  const absent = keys.filter((k) => !(k.subsetShare > 0)).length;
  const rows = keys.map((k) => ({
    category: k.categoryName,
    categoryId: k.categoryId,
    tier: tierLabel(k.tier),
    size: k.size,
    full: k.fullShare,
    subset: k.subsetShare > 0 ? k.subsetShare : floor,
    presence: k.subsetShare > 0 ? PRESENT : ABSENT,
    fullLabel: percent(k.fullShare),
    subsetLabel: percent(k.subsetShare),
    ratio: k.fullShare > 0 ? +(k.subsetShare / k.fullShare).toPrecision(3) : null,
  }));
  const title = 'Class×size fidelity: subset vs full set';
  const decades: number[] = [];
  for (let e = Math.round(Math.log10(domain[0]!)); e <= Math.round(Math.log10(domain[1]!)); e++) decades.push(10 ** e);
  // Every decade gets its label while they fit (about 60 px each at this width).
  const axis = { format: '~%', grid: true, values: decades, labelFlush: false, labelOverlap: decades.length > 8 };
  const labelAt = domain[1]! / 10 ** 0.6;
  const spec: TopLevelSpec = {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: title,
      subtitle: [
        `${keys.length.toLocaleString('en-US')} (category, size) keys; on the dashed line the subset keeps the full set's share.`,
        absent > 0
          ? `${absent.toLocaleString('en-US')} key${absent === 1 ? ' is' : 's are'} absent from the subset (crosses on the floor).`
          : 'Every key is present in the subset.',
      ],
    },
    config: CHART_CONFIG,
    width: 480,
    height: 480,
    layer: [
      {
        data: { values: [{ x: domain[0], y: domain[0] }, { x: domain[1], y: domain[1] }] },
        mark: { type: 'line', color: '#555555', strokeDash: [6, 4], strokeWidth: 1.5, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { type: 'log', domain, nice: false } },
          y: { field: 'y', type: 'quantitative', scale: { type: 'log', domain, nice: false } },
        },
      },
      {
        data: { values: [{ x: labelAt, y: labelAt, text: 'y = x' }] },
        mark: { type: 'text', align: 'center', baseline: 'bottom', angle: -45, dy: -3, fontSize: 11, color: '#555555' },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          text: { field: 'text' },
        },
      },
      {
        data: { values: rows },
        mark: { type: 'point', filled: true, size: 36, opacity: 0.7, clip: true },
        encoding: {
          x: { field: 'full', type: 'quantitative', title: 'Share of annotations in the full set (log)', scale: { type: 'log', domain, nice: false }, axis },
          y: { field: 'subset', type: 'quantitative', title: 'Share of annotations in the subset (log)', scale: { type: 'log', domain, nice: false }, axis },
          color: {
            field: 'tier',
            type: 'nominal',
            title: 'Tier',
            scale: { domain: TIER_LABELS, range: TIER_COLORS },
          },
          shape: {
            field: 'presence',
            type: 'nominal',
            title: 'Key',
            scale: { domain: [PRESENT, ABSENT], range: ['circle', 'cross'] },
          },
          tooltip: [
            { field: 'category', title: 'Category' },
            { field: 'categoryId', title: 'Category id' },
            { field: 'size', title: 'Size' },
            { field: 'tier', title: 'Tier' },
            { field: 'fullLabel', title: 'Share in full set' },
            { field: 'subsetLabel', title: 'Share in subset' },
            { field: 'ratio', title: 'Subset / full' },
          ],
        },
      },
    ],
  };
  return { id: 'class-size-fidelity', fileBase: CLASS_SIZE_FIDELITY_FILE, title, spec };
}
