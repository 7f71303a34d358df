import type { Writable } from 'node:stream';
import type { RunEvent } from '../exec/events.js';
import type { Reporter } from './describe.js';

/** `--json`: one JSON object per event per line on stdout (progress events included). */
export class JsonReporter implements Reporter {
  constructor(private readonly out: Writable) {}
  event(e: RunEvent): void {
    this.out.write(JSON.stringify(e) + '\n');
  }
  close(): void {}
}
