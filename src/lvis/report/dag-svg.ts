/**
 * The pipeline DAG as an inline SVG for the report: steps in columns by depth (a step sits one
 * column right of its deepest input), ordered within a column by the mean row of their inputs,
 * each box coloured by its cache status and labelled with its type and time.
 *
 * Hand-written: pipelines have tens of steps, and this longest-path layering with one
 * barycentre pass draws them without crossings in every pipeline lvis-pipe ships; a graph
 * layout package (dagre, elk) would add a dependency and a runtime to the report for no gain
 * at this size.
 */
import { approxTextWidth as measureTextWidth } from '../../render/font-table.js';
import type { ReportStep, ReportStepStatus } from './model.js';
import { xmlSafeText } from '../../render/xml-text.js';

export const STATUS_COLORS: Record<ReportStepStatus, { fill: string; stroke: string; text: string }> = {
  ran: { fill: '#d9f2ec', stroke: '#1b9e8a', text: '#0d5247' },
  cached: { fill: '#dde8f4', stroke: '#4c78a8', text: '#1f3d5e' },
  failed: { fill: '#f9dcdf', stroke: '#d6404e', text: '#7a1620' },
  skipped: { fill: '#eeeeee', stroke: '#9d9d9d', text: '#555555' },
  interrupted: { fill: '#fcebd2', stroke: '#f2a03d', text: '#6d4510' },
  pending: { fill: '#ffffff', stroke: '#9d9d9d', text: '#555555' },
};

const BOX_H = 46;
const COL_GAP = 56;
const ROW_GAP = 16;
const PAD = 12;

function escapeXml(s: string): string {
  return xmlSafeText(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: { id: string; x: number; y: number; w: number; h: number; column: number }[];
  edges: { from: string; to: string }[];
}

export function layoutDag(steps: ReportStep[]): DagLayout {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const column = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    const known = column.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot reach a report; stay finite regardless
    seen.add(id);
    const deps = byId.get(id)?.deps.filter((d) => byId.has(d)) ?? [];
    const c = deps.length ? 1 + Math.max(...deps.map((d) => depth(d, seen))) : 0;
    column.set(id, c);
    return c;
  };
  for (const s of steps) depth(s.id, new Set());
  const columns: string[][] = [];
  for (const s of steps) (columns[column.get(s.id)!] ??= []).push(s.id);
  const row = new Map<string, number>();
  columns.forEach((ids, c) => {
    if (c > 0) {
      const bary = (id: string) => {
        const deps = byId.get(id)!.deps.filter((d) => row.has(d));
        return deps.length ? deps.reduce((a, d) => a + row.get(d)!, 0) / deps.length : Infinity;
      };
      const order = new Map(ids.map((id, i) => [id, i]));
      ids.sort((a, b) => bary(a) - bary(b) || order.get(a)! - order.get(b)!);
    }
    ids.forEach((id, r) => row.set(id, r));
  });
  const labelWidth = (s: ReportStep) =>
    Math.max(measureTextWidth(s.id, 13, true), measureTextWidth(`${s.type} · ${s.status} · ${formatDuration(s.durationMs)}`, 11));
  const boxW = Math.ceil(Math.min(320, Math.max(120, ...steps.map(labelWidth)) + 2 * PAD));
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const height = tallest * BOX_H + (tallest - 1) * ROW_GAP + 2 * PAD;
  const nodes = steps.map((s) => {
    const c = column.get(s.id)!;
    const n = columns[c]!.length;
    const colHeight = n * BOX_H + (n - 1) * ROW_GAP;
    return {
      id: s.id,
      column: c,
      x: PAD + c * (boxW + COL_GAP),
      y: (height - colHeight) / 2 + row.get(s.id)! * (BOX_H + ROW_GAP),
      w: boxW,
      h: BOX_H,
    };
  });
  const edges = steps.flatMap((s) => s.deps.filter((d) => byId.has(d)).map((d) => ({ from: d, to: s.id })));
  return { width: PAD * 2 + columns.length * boxW + (columns.length - 1) * COL_GAP, height, nodes, edges };
}

export function renderDagSvg(steps: ReportStep[]): string {
  if (steps.length === 0) return '<p class="muted">No steps.</p>';
  const layout = layoutDag(steps);
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const byId = new Map(steps.map((s) => [s.id, s]));
  const parts: string[] = [];
  parts.push(
    `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="Pipeline steps and their cache status">`,
    '<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a8a8a"/></marker></defs>',
  );
  for (const e of layout.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const x1 = a.x + a.w;
    const y1 = a.y + a.h / 2;
    const x2 = b.x - 2;
    const y2 = b.y + b.h / 2;
    const mid = (x1 + x2) / 2;
    parts.push(
      `<path class="dag-edge" data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#8a8a8a" stroke-width="1.4" marker-end="url(#dag-arrow)"/>`,
    );
  }
  for (const n of layout.nodes) {
    const s = byId.get(n.id)!;
    const c = STATUS_COLORS[s.status] ?? STATUS_COLORS.pending;
    const detail = `${s.type} · ${s.status} · ${formatDuration(s.durationMs)}`;
    const tip = [`${s.id} (${s.type})`, `status: ${s.status}`, `time: ${formatDuration(s.durationMs)}`, ...s.outputs.map((o) => `output ${o.name}${o.path ? ` → ${o.path}` : ''}`), ...(s.error ? [`error: ${s.error}`] : [])].join('\n');
    parts.push(
      `<g class="dag-node" data-step="${escapeXml(s.id)}" data-status="${s.status}"><title>${escapeXml(tip)}</title>` +
        `<rect x="${n.x}" y="${n.y}" width="${n.w}" height="${n.h}" rx="6" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.6"/>` +
        `<text x="${n.x + PAD}" y="${n.y + 19}" font-size="13" font-weight="bold" fill="${c.text}">${escapeXml(s.id)}</text>` +
        `<text x="${n.x + PAD}" y="${n.y + 36}" font-size="11" fill="${c.text}">${escapeXml(detail)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
