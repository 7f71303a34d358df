/**
 * A run's report, from the run's history record: the seam between the runner (which alone
 * knows each step's status and time, and writes them to history/<runId>.json when a run ends)
 * and the `report` step (whose cached content holds the title and charts).
 *
 * `writeRunReports` writes the HTML of every `report` step of a finished run; the `report`
 * command calls it for a past run, and the run command can call it right after the run.
 */
import path from 'node:path';
import type { Pipeline } from '../runner/pipeline/pipeline.js';
import { writeFileAtomic } from '../base/atomic-file.js';
import type { CacheStore, HistoryRecord } from '../runner/cache/store.js';
import { renderReportHtml } from '../lvis/report/html.js';
import type { ReportModel, ReportStep, ReportStepStatus, SweepRow } from '../lvis/report/model.js';

export { REPORT_STEP_TYPE, REPORT_CONTENT_KIND_NAME, reportContentKind, type ReportContent } from '../lvis/report/content.js';
import { REPORT_STEP_TYPE, reportContentKind, type ReportContent } from '../lvis/report/content.js';

const STATUSES: ReportStepStatus[] = ['cached', 'ran', 'failed', 'skipped', 'interrupted'];

/** Chart files the pipeline writes (output paths of the steps), by chart file base name. */
function chartFiles(pipeline: Pipeline, reportDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const step of pipeline.steps.values()) {
    for (const file of Object.values(step.outputPaths)) {
      const base = path.basename(file).replace(/\.(png|svg)$/i, '');
      if (base === path.basename(file)) continue;
      const rel = path.relative(reportDir, file).split(path.sep).join('/');
      out.set(base, [...(out.get(base) ?? []), rel]);
    }
  }
  return out;
}

export function runReportModel(
  pipeline: Pipeline,
  history: HistoryRecord,
  content: ReportContent,
  reportFile: string,
  extra: { sweep?: SweepRow[]; generator?: string } = {},
): ReportModel {
  const files = chartFiles(pipeline, path.dirname(reportFile));
  const steps: ReportStep[] = pipeline.order.map((id) => {
    const step = pipeline.steps.get(id)!;
    const h = history.steps[id];
    const status = h && STATUSES.includes(h.status as ReportStepStatus) ? (h.status as ReportStepStatus) : 'pending';
    return {
      id,
      type: step.type,
      status,
      durationMs: h?.durationMs ?? NaN,
      deps: step.deps,
      outputs: Object.entries(h?.outputs ?? {}).map(([name, o]) => ({
        name,
        kind: o.kind,
        ...(o.path ? { path: path.relative(path.dirname(reportFile), o.path).split(path.sep).join('/') } : {}),
      })),
      ...(h?.error ? { error: h.error } : {}),
    };
  });
  return {
    title: content.title,
    run: {
      id: history.runId,
      pipeline: pipeline.displayFile,
      status: history.status,
      startedAt: history.startedAt,
      durationMs: history.durationMs,
    },
    params: history.params,
    steps,
    metrics: Object.entries(history.metrics).map(([source, values]) => ({ source, values: (values ?? {}) as Record<string, unknown> })),
    charts: content.charts.map((c) => ({ id: c.id, title: c.title, spec: c.spec, files: files.get(c.fileBase) ?? [] })),
    ...(extra.sweep ? { sweep: extra.sweep } : {}),
    ...(extra.generator ? { generator: extra.generator } : {}),
  };
}


/**
 * Writes the HTML of every `report` step that completed in this run (ran or cache hit), at its
 * `out` option (relative to the pipeline's folder). Returns the files written.
 */
export async function writeRunReports(
  pipeline: Pipeline,
  history: HistoryRecord,
  store: CacheStore,
  extra: { sweep?: SweepRow[]; generator?: string; out?: string } = {},
): Promise<string[]> {
  const written: string[] = [];
  for (const id of pipeline.order) {
    const step = pipeline.steps.get(id)!;
    if (step.type !== REPORT_STEP_TYPE) continue;
    const h = history.steps[id];
    const stored = h?.outputs.content;
    if (!h || (h.status !== 'ran' && h.status !== 'cached') || !stored) continue;
    const bytes = await store.readObject(stored.digest);
    const content = reportContentKind.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    written.push(await writeStepReport(pipeline, history, id, content, extra));
  }
  return written;
}

/** Writes the HTML of report step `stepId` for this run, at `extra.out` or its `out` option. */
export async function writeStepReport(
  pipeline: Pipeline,
  history: HistoryRecord,
  stepId: string,
  content: ReportContent,
  extra: { sweep?: SweepRow[]; generator?: string; out?: string } = {},
): Promise<string> {
  const step = pipeline.steps.get(stepId)!;
  const file = path.resolve(pipeline.dir, extra.out ?? String(step.options.out));
  await writeFileAtomic(file, renderReportHtml(runReportModel(pipeline, history, content, file, extra)));
  return file;
}
