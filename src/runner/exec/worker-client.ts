/**
 * Running one step in a worker thread (for `cpuHeavy` steps, so that several use several
 * cores). The worker re-imports the step registry by URL, decodes its inputs from the
 * store itself, runs the step, encodes its value outputs to temp files and sends back
 * their paths, with progress and log messages on the way. The main thread stores the
 * files and writes the run record, exactly as for a step run in-process.
 */
import { Worker } from 'node:worker_threads';
import { DiagnosticError, type Diagnostic } from '../../base/diagnostic.js';
import type { ProgressEvent } from './progress.js';
import type { RegistrySource } from '../step/registry.js';

export interface WorkerInput {
  registry: RegistrySource;
  stepType: string;
  stepId: string;
  options: Record<string, unknown>;
  /** Input name → the stored object (read-only) and how to read it. */
  inputs: Record<string, { kind: string; storage: 'value' | 'file'; path: string }>;
  tempDir: string;
  fileDigests: Record<string, string>;
}

export interface WorkerResult {
  /** Output name → a file holding the encoded value or the output file; `owned`: may be moved. */
  outputs: Record<string, { path: string; owned: boolean }>;
  metrics: Record<string, unknown>;
}

export type WorkerMessage =
  | ({ t: 'progress' } & ProgressEvent)
  | { t: 'log'; message: string }
  | { t: 'done'; result: WorkerResult }
  | { t: 'error'; diagnostics?: Diagnostic[]; message: string; stack?: string; name?: string };

/** How long a worker may take to stop after an abort before it is terminated. */
const ABORT_GRACE_MS = 3000;

export function runInWorker(
  input: WorkerInput,
  signal: AbortSignal,
  hooks: { progress(e: ProgressEvent): void; log(message: string): void },
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: input });
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // The worker's message port keeps it alive: end it once it has answered.
      void worker.terminate();
      fn();
    };
    const onAbort = () => {
      worker.postMessage({ t: 'abort' });
      killTimer = setTimeout(() => void worker.terminate(), ABORT_GRACE_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: WorkerMessage) => {
      switch (m.t) {
        case 'progress': {
          const { t: _t, ...ev } = m;
          hooks.progress(ev);
          break;
        }
        case 'log':
          hooks.log(m.message);
          break;
        case 'done':
          finish(() => resolve(m.result));
          break;
        case 'error': {
          if (m.diagnostics) finish(() => reject(new DiagnosticError(m.diagnostics!)));
          else {
            const err = new Error(m.message);
            if (m.name) err.name = m.name;
            if (m.stack) err.stack = `${m.stack}\n    (in worker thread)`;
            finish(() => reject(err));
          }
          break;
        }
      }
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(signal.aborted ? 'interrupted' : `worker thread exited (code ${code}) without a result`))));
  });
}
