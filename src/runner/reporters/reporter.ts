/**
 * Reporters render RunEvents. `createReporter` picks one: JSON lines (`--json`), a TTY
 * reporter with progress bars, a plain line reporter (CI, pipes), or quiet (errors only).
 */
import type { Writable } from 'node:stream';
import type { RunEvent } from '../exec/events.js';
import { describeEvent, failureText, type Reporter } from './describe.js';
import { JsonReporter } from './json.js';
import { streamWidth } from '../../base/format.js';



export interface ReporterOptions {
  mode: 'json' | 'tty' | 'plain' | 'quiet';
  stdout: Writable;
  stderr: Writable;
}

/** Async because the TTY reporter's progress-bar library is only loaded when needed. */
export async function createReporter(o: ReporterOptions): Promise<Reporter> {
  switch (o.mode) {
    case 'json':
      return new JsonReporter(o.stdout);
    case 'tty': {
      const { TtyReporter } = await import('./tty.js');
      return new TtyReporter(o.stdout, o.stderr);
    }
    case 'plain':
      return new LineReporter(o.stdout, o.stderr, false);
    case 'quiet':
      return new LineReporter(o.stdout, o.stderr, true);
  }
}

/** One line per event; quiet mode prints only failures. */
export class LineReporter implements Reporter {
  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
    private readonly quiet: boolean,
  ) {}
  event(e: RunEvent): void {
    if (this.quiet) {
      if (e.type === 'step-failed' && !e.interrupted) this.err.write(failureText(e) + '\n');
      else if (e.type === 'diagnostics') this.err.write(describeEvent(e) + '\n');
      return;
    }
    const text = describeEvent(e, streamWidth(this.out));
    if (text === undefined) return;
    (e.type === 'step-failed' || e.type === 'diagnostics' ? this.err : this.out).write(text + '\n');
  }
  close(): void {}
}
