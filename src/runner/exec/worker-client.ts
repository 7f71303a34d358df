/**
 * Running one step in a worker thread (for `cpuHeavy` steps, so that several use several
 * cores), through base/worker-task.ts. The worker re-imports the step registry by URL, decodes
 * its inputs from the store itself, runs the step, encodes its value outputs to temp files and
 * sends back their paths, with progress and log notes on the way. The main thread stores the
 * files and writes the run record, exactly as for a step run in-process.
 */
import { prepareWorkerTask, startWorkerTask, type PreparedWorker } from '../../base/worker-task.js';
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
  /** Files the step must hash as it reads them (StepContext.hashWhileReading). */
  hashWhileReading: string[];
}

export interface WorkerResult {
  /**
   * Output name → a file holding the encoded value or the output file; `owned`: may be moved;
   * `written`: for an encoded value, the digest and size of the bytes the worker wrote (hashed
   * while they were being written, so that the main thread need not read them back).
   */
  outputs: Record<string, { path: string; owned: boolean; written?: { digest: string; size: number } }>;
  metrics: Record<string, unknown>;
  /** The digests the step reported (StepContext.reportDigest): path → sha256. */
  digests: Record<string, string>;
}

/** What a worker started ahead of its step gets: enough to import the step's module. */
export interface WorkerPreload {
  registry: RegistrySource;
  stepType: string;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Starts a worker for a step of type `stepType` before its inputs are ready (warm-workers.ts). */
export function prepareStepWorker(preload: WorkerPreload): PreparedWorker {
  return prepareWorkerTask(WORKER_URL, preload);
}

export type WorkerNote = ({ t: 'progress' } & ProgressEvent) | { t: 'log'; message: string };

export function runInWorker(
  input: WorkerInput,
  signal: AbortSignal,
  hooks: { progress(e: ProgressEvent): void; log(message: string): void },
  prepared?: PreparedWorker,
): Promise<WorkerResult> {
  const onNote = (n: WorkerNote) => {
    if (n.t === 'log') hooks.log(n.message);
    else {
      const { t: _t, ...ev } = n;
      hooks.progress(ev);
    }
  };
  const opts = { signal, onNote };
  return (prepared ? prepared.start<WorkerResult, WorkerNote>(input, opts) : startWorkerTask<WorkerResult, WorkerNote>(WORKER_URL, input, opts)).result;
}
