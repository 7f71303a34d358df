/**
 * The interactive reporter: event lines as the plain one, plus a progress bar for each
 * step that reports progress (cli-progress), redrawn in place under the lines.
 */
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { RunEvent } from '../exec/events.js';
import { escapeControls } from '../../base/diagnostic.js';
import { formatBytes, streamWidth } from '../../base/format.js';
import { describeEvent, failureText, type Reporter } from './describe.js';

export class TtyReporter implements Reporter {
  private multibar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
  ) {}

  private print(text: string, stream: Writable = this.out): void {
    if (this.multibar && stream === this.out) this.multibar.log(text + '\n');
    else stream.write(text + '\n');
  }

  event(e: RunEvent): void {
    if (e.type === 'step-progress') {
      this.progress(e);
      return;
    }
    // (A cache hit's sync may have shown a bar too.)
    if (e.type === 'step-finish' || e.type === 'step-cached' || e.type === 'step-failed' || e.type === 'step-skipped') this.removeBar(`${e.runId}/${e.stepId}`);
    // A sweep variant's end leaves the other variants' bars running.
    if ((e.type === 'run-finish' && !e.label) || e.type === 'sweep-finish') this.stopBars();
    if (e.type === 'step-failed') {
      this.stopBarsIfIdle();
      this.print(failureText(e), this.err);
      return;
    }
    const text = describeEvent(e, streamWidth(this.out));
    if (text !== undefined) this.print(text, e.type === 'diagnostics' ? this.err : this.out);
  }

  private progress(e: Extract<RunEvent, { type: 'step-progress' }>): void {
    const id = `${e.runId}/${e.stepId}`;
    this.multibar ??= new cliProgress.MultiBar(
      {
        stream: this.out as NodeJS.WriteStream,
        format: '  {step} {bar} {percentage}% {label} {amount}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        autopadding: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = barText(e);
    let bar = this.bars.get(id);
    if (!bar) {
      bar = this.multibar.create(Math.max(1, e.total), e.done, payload);
      this.bars.set(id, bar);
    } else {
      bar.setTotal(Math.max(1, e.total));
      bar.update(e.done, payload);
    }
  }

  private removeBar(id: string): void {
    const bar = this.bars.get(id);
    if (!bar || !this.multibar) return;
    this.multibar.remove(bar);
    this.bars.delete(id);
    this.stopBarsIfIdle();
  }

  private stopBarsIfIdle(): void {
    if (this.bars.size === 0) this.stopBars();
  }

  private stopBars(): void {
    if (!this.multibar) return;
    this.multibar.stop();
    this.multibar = undefined;
    this.bars.clear();
  }

  close(): void {
    this.stopBars();
  }
}

/**
 * The text of a step's progress bar. Its label may name a file (`reading lvis\x1b[2J.json`):
 * shown escaped, as every line is.
 */
export function barText(e: Extract<RunEvent, { type: 'step-progress' }>): { step: string; label: string; amount: string } {
  const counted = e.unit === 'bytes' || e.unit === 'B' ? `${formatBytes(e.done)}/${formatBytes(e.total)}` : `${e.done}/${e.total}${e.unit ? ' ' + e.unit : ''}`;
  const amount = e.detail ? `${counted}, ${e.detail}` : counted;
  return { step: e.stepId, label: escapeControls(e.label), amount: escapeControls(amount) };
}
