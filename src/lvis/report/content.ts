/**
 * The `report` step's artifact: what a run report shows besides the run itself. Kept apart
 * from report-run.ts (which pulls in the HTML renderer and the font metrics) because every CLI
 * call imports every step module, and this is all the step module needs at load time.
 */
import type { ArtifactKind } from '../../runner/step/step.js';
import type { Chart } from '../plots/types.js';

export const REPORT_CONTENT_KIND_NAME = 'lvis.report-content';

export const REPORT_STEP_TYPE = 'report';

export interface ReportContent {
  title: string;
  charts: Chart[];
}

export const reportContentKind = {
  name: REPORT_CONTENT_KIND_NAME,
  storage: 'value' as const,
  description: 'What a run report shows besides the run itself: its title and charts (JSON)',
  encode: (value: ReportContent) => new TextEncoder().encode(JSON.stringify(value)),
  decode: (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as ReportContent,
} satisfies ArtifactKind<ReportContent>;

