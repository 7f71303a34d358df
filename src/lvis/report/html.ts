/**
 * The run report: one self-contained HTML file that works offline, opened from disk. It
 * inlines the Vega, Vega-Lite and vega-embed builds from node_modules and the report's data as
 * JSON, and shows the parameters, the DAG with each step's cache status and time, the quality
 * metrics, every chart (interactive through vega-embed: tooltips, export) and, for a sweep,
 * the comparison table. `renderReportHtml` is a pure function of its model.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration, renderDagSvg, STATUS_COLORS } from './dag-svg.js';
import type { ReportModel, ReportStepStatus, SweepRow } from './model.js';
import { xmlSafeText, xmlSafeValue } from '../../render/xml-text.js';

export type { ReportModel } from './model.js';

/** The browser builds the report inlines, in load order (vega-embed needs both globals). */
const LIBRARIES = [
  { module: 'vega', file: 'vega.min.js' },
  { module: 'vega-lite', file: 'vega-lite.min.js' },
  { module: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

let libraryCache: string[] | undefined;

/** The minified UMD builds, read once. They sit beside each package's entry point (build/). */
export function reportLibraries(): string[] {
  libraryCache ??= LIBRARIES.map(({ module, file }) => {
    const path = fileURLToPath(new URL(`./${file}`, import.meta.resolve(module)));
    return readFileSync(path, 'utf8');
  });
  return libraryCache;
}

/** Text as HTML; control characters shown as the terminal shows them (`\x07`: `xmlSafeText`). */
export function escapeHtml(s: string): string {
  return xmlSafeText(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Script text safe inside <script>: `</script` and `<!--` cannot end or confuse the element. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const abs = Math.abs(v);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(4));
  }
  if (v === null || v === undefined) return '–';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A param as it was given: `seed: 1337`, never `1,337` (a seed or an id is not a count). */
function formatParam(v: unknown): string {
  return typeof v === 'number' ? String(v) : formatValue(v);
}

/** Nested metric records become dotted names: { tierMix: { f: 0.5 } } → tierMix.f. */
export function flattenRecord(rec: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(rec).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? flattenRecord(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

function keyValueTable(cls: string, rows: [string, unknown][], format = formatValue): string {
  if (rows.length === 0) return '<p class="muted">None.</p>';
  return (
    `<table class="${cls}"><tbody>` +
    rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(format(v))}</td></tr>`).join('') +
    '</tbody></table>'
  );
}

function statusBadge(status: string): string {
  const c = STATUS_COLORS[status as ReportStepStatus] ?? STATUS_COLORS.pending;
  return `<span class="badge" style="background:${c.fill};border-color:${c.stroke};color:${c.text}">${escapeHtml(status)}</span>`;
}

function stepsTable(model: ReportModel): string {
  const rows = model.steps.map(
    (s) =>
      `<tr data-step="${escapeHtml(s.id)}"><td>${escapeHtml(s.id)}</td><td>${escapeHtml(s.type)}</td><td>${statusBadge(s.status)}</td>` +
      `<td class="num">${escapeHtml(formatDuration(s.durationMs))}</td>` +
      `<td>${s.outputs.map((o) => escapeHtml(o.path ? `${o.name} → ${o.path}` : o.name)).join('<br>')}` +
      `${s.error ? `<div class="error">${escapeHtml(s.error)}</div>` : ''}</td></tr>`,
  );
  return `<table class="steps"><thead><tr><th>Step</th><th>Type</th><th>Status</th><th>Time</th><th>Outputs</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sweepTable(rows: SweepRow[]): string {
  const paramKeys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  const metricKeys = [...new Set(rows.flatMap((r) => flattenRecord(r.metrics).map(([k]) => k)))];
  const head =
    (rows.some((r) => r.label) ? '<th data-type="text">Variant</th>' : '') +
    paramKeys.map((k) => `<th class="param" data-type="auto">${escapeHtml(k)}</th>`).join('') +
    metricKeys.map((k) => `<th class="metric" data-type="auto">${escapeHtml(k)}</th>`).join('') +
    '<th data-type="auto">Time</th><th data-type="text">Status</th>';
  const body = rows
    .map((r) => {
      const m = new Map(flattenRecord(r.metrics));
      const cell = (v: unknown, format = formatValue) => `<td data-value="${escapeHtml(typeof v === 'number' ? String(v) : formatValue(v))}">${escapeHtml(format(v))}</td>`;
      return (
        '<tr>' +
        (rows.some((x) => x.label) ? `<td>${escapeHtml(r.label ?? '')}</td>` : '') +
        paramKeys.map((k) => cell(r.params[k], formatParam)).join('') +
        metricKeys.map((k) => cell(m.get(k))).join('') +
        `<td data-value="${r.durationMs}" class="num">${escapeHtml(formatDuration(r.durationMs))}</td><td>${statusBadge(r.status)}</td></tr>`
      );
    })
    .join('');
  return `<p class="muted">Click a column header to sort.</p><div class="scroll"><table class="sweep sortable"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

const STYLE = `
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Verdana, system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f3d5e; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 6px; font-size: 22px; }
header .meta { font-size: 13px; opacity: .9; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 8px; padding: 14px 20px; margin: 18px 0; }
h2 { font-size: 17px; margin: 2px 0 12px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #eee; padding: 5px 10px; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { font-weight: normal; color: #555; }
.badge { display: inline-block; border: 1px solid; border-radius: 10px; padding: 0 8px; font-size: 12px; }
.error { color: #a0202c; margin-top: 4px; }
.muted { color: #777; font-size: 12px; }
.scroll { overflow-x: auto; }
.dag-wrap { overflow-x: auto; margin-bottom: 14px; }
svg.dag text { font-family: "DejaVu Sans", Verdana, sans-serif; }
.metric-groups { display: flex; flex-wrap: wrap; gap: 24px; }
figure.chart { margin: 0 0 28px; }
figure.chart figcaption { font-size: 12px; color: #666; margin-top: 4px; }
.chart-error { color: #a0202c; font-family: monospace; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
`;

/** Embeds every chart; exposes `window.lvisReportReady`, resolved once all are drawn. */
const BOOT = `
(function () {
  var data = JSON.parse(document.getElementById('lvis-report-data').textContent);
  var jobs = data.charts.map(function (c) {
    var el = document.getElementById('chart-' + c.id);
    return vegaEmbed(el, c.spec, {
      renderer: 'svg',
      actions: { export: true, source: false, compiled: false, editor: false },
    }).then(function (result) {
      el.setAttribute('data-rendered', 'true');
      return result;
    }, function (err) {
      el.innerHTML = '<p class="chart-error"></p>';
      el.firstChild.textContent = 'Could not draw this chart: ' + err;
      console.error(err);
      throw err;
    });
  });
  window.lvisReportReady = Promise.all(jobs).then(function () { return jobs.length; });
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (r) { var c = r.cells[col]; return c.getAttribute('data-value') || c.textContent; };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b), nx = parseFloat(x), ny = parseFloat(y);
          var cmp = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
          return asc ? cmp : -cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
`;

export function renderReportHtml(model: ReportModel): string {
  const run = model.run;
  const meta = run
    ? `Pipeline <code>${escapeHtml(run.pipeline)}</code> · run ${escapeHtml(run.id)} · ${escapeHtml(run.startedAt)} · ${statusBadge(run.status)} · ${escapeHtml(formatDuration(run.durationMs))}`
    : '';
  const counts = new Map<string, number>();
  for (const s of model.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const stepSummary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const metricGroups = model.metrics.length
    ? `<div class="metric-groups">${model.metrics
        .map((g) => `<div><h3 class="muted">${escapeHtml(g.source)}</h3>${keyValueTable('kv metrics', flattenRecord(g.values))}</div>`)
        .join('')}</div>`
    : '<p class="muted">This run produced no quality metrics.</p>';
  const charts = model.charts.length
    ? model.charts
        .map(
          (c) =>
            `<figure class="chart"><div class="vega-chart" id="chart-${escapeHtml(c.id)}" data-chart="${escapeHtml(c.id)}"></div>` +
            `<figcaption>${escapeHtml(c.title)}${c.files?.length ? ` — files: ${c.files.map(escapeHtml).join(', ')}` : ''}</figcaption></figure>`,
        )
        .join('\n')
    : '<p class="muted">No charts in this run.</p>';
  // The charts the browser draws show their text as the PNGs do (`renderSvg` makes the same change).
  const data = { charts: model.charts.map((c) => ({ id: c.id, spec: xmlSafeValue(c.spec) })) };
  const libs = reportLibraries()
    .map((js) => `<script>${inlineScript(js)}</script>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(model.generator ?? 'lvis-pipe')}">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(model.title)}</h1><div class="meta">${meta}</div></header>
<main>
<section id="parameters"><h2>Parameters</h2>${keyValueTable('kv params', Object.entries(model.params), formatParam)}</section>
<section id="pipeline"><h2>Pipeline</h2><p class="muted">${escapeHtml(stepSummary)}</p>${
  model.repairs?.length
    ? `<p class="repairs">The cache found damaged files during this run, moved them aside and recomputed what they held:</p><ul>${model.repairs.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>`
    : ''
}${model.warnings?.length ? `<p class="repairs">Warnings:</p><ul class="warnings">${model.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<div class="dag-wrap">${renderDagSvg(model.steps)}</div>
${stepsTable(model)}</section>
<section id="quality"><h2>Quality</h2>${metricGroups}</section>
<section id="charts"><h2>Charts</h2>${charts}</section>
${model.sweep?.length ? `<section id="sweep"><h2>Sweep comparison</h2>${sweepTable(model.sweep)}</section>` : ''}
<p class="muted">${escapeHtml(model.generator ?? 'lvis-pipe')} · self-contained: Vega, Vega-Lite and vega-embed are inlined, so it works offline.</p>
</main>
<script type="application/json" id="lvis-report-data">${inlineJson(data)}</script>
${libs}
<script>${BOOT}</script>
</body>
</html>
`;
}
