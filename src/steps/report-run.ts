/**
 * A run's report, from the run's history record: the seam between the runner (which alone
 * knows each step's status and time, and writes them to history/<runId>.json when a run ends)
 * and the `report` step (whose cached content holds the title and charts). Loaded only by the
 * report step's afterRun hook, because it pulls in the HTML renderer and the font metrics.
 */
import path from 'node:path';
import { writeFileAtomic } from '../base/atomic-file.js';
import type { HistoryRecord, PipelineView } from '../runner/step/step.js';
import { renderReportHtml } from '../lvis/report/html.js';
import type { ReportContent, ReportModel, ReportStep, ReportStepStatus, SweepRow } from '../lvis/report/model.js';

const STATUSES: ReportStepStatus[] = ['cached', 'ran', 'failed', 'skipped', 'interrupted'];

/** Chart files the pipeline writes (output paths of the steps), by chart file base name. */
function chartFiles(pipeline: PipelineView, reportDir: string): Map<string, string[]> {
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
  pipeline: PipelineView,
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
      deps: [...step.deps],
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
    ...(history.repairs?.length ? { repairs: history.repairs } : {}),
    ...warningsOf(history),
    ...(extra.generator ? { generator: extra.generator } : {}),
  };
}


/** The steps' warnings of the run, each prefixed with its step. */
function warningsOf(history: HistoryRecord): { warnings?: string[] } {
  const warnings = Object.entries(history.steps).flatMap(([id, s]) => (s.warnings ?? []).map((w) => `${id}: ${w}`));
  return warnings.length ? { warnings } : {};
}

/** Writes the HTML report of this run at `file` (absolute). */
export async function writeStepReport(
  pipeline: PipelineView,
  history: HistoryRecord,
  content: ReportContent,
  file: string,
  extra: { sweep?: SweepRow[]; generator?: string } = {},
): Promise<string> {
  await writeFileAtomic(file, renderReportHtml(runReportModel(pipeline, history, content, file, extra)));
  return file;
}
