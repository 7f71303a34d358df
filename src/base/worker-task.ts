/**
 * The one way lvis-pipe runs work in a worker thread: the runner's CPU-heavy steps
 * (runner/exec/worker.ts) and load's second scanning thread (lvis/load/worker.ts) both use it.
 *
 * The main thread starts a module with an input (and may send it more while it runs: mask AP's
 * GT thread, given its share of the scoring once the detections are read); the worker sends
 * notes (progress, logs, a first result) while it works, then one result or one error. Errors cross the thread boundary as what they were: a
 * DiagnosticError keeps its diagnostics (a user mistake stays a user mistake), any other error
 * keeps its name and stack (a bug stays a bug). On abort the worker is asked to stop and is
 * terminated after a grace period.
 */
import { setFlagsFromString } from 'node:v8';
import { parentPort, Worker, workerData, type TransferListItem } from 'node:worker_threads';
import { DiagnosticError, type Diagnostic } from './diagnostic.js';

type Message<Out, Note> =
  | { t: 'note'; note: Note }
  | { t: 'done'; result: Out }
  | { t: 'error'; diagnostics?: Diagnostic[]; exitCode?: number; message: string; stack?: string; name?: string; fs?: FsErrorFields };

/** What a filesystem error says besides its message (a full disk in a worker is still a full disk). */
interface FsErrorFields {
  code?: string;
  path?: string;
  dest?: string;
  syscall?: string;
  sizeNeeded?: number;
}

export interface WorkerTaskOptions<Note> {
  onNote?: (note: Note) => void;
  signal?: AbortSignal;
  /** How long a worker may take to stop after an abort before it is terminated (default 3 s). */
  abortGraceMs?: number;
}

export interface WorkerTask<Out> {
  result: Promise<Out>;
  /** Sends the running task more input (it reads it with ctx.receive()). */
  send(message: unknown): void;
  /** Stops the worker now, whatever it is doing (the result then rejects, if still pending). */
  terminate(): Promise<void>;
}

/** Starts the worker module at `url` with `input` (structured-cloned). */
export function startWorkerTask<Out, Note = never>(url: URL, input: unknown, opts: WorkerTaskOptions<Note> = {}): WorkerTask<Out> {
  return attach<Out, Note>(new Worker(url, { workerData: input }), opts);
}

/** A worker started ahead of its task (see prepareWorkerTask). */
export interface PreparedWorker {
  /** Gives the worker its task: one per prepared worker. */
  start<Out, Note = never>(input: unknown, opts?: WorkerTaskOptions<Note>): WorkerTask<Out>;
  /** Ends a worker that will get no task. */
  dispose(): Promise<void>;
}

const PREPARE = '__lvisPipePrepare';

/**
 * Starts the worker module at `url` before its input is known: it boots, imports its modules and
 * runs its `prepare` hook (see serveWorkerTask) with `preload` while the caller still computes the
 * input, so that the task itself starts warm.
 */
export function prepareWorkerTask(url: URL, preload: unknown, opts: { inlineCompiles?: boolean } = {}): PreparedWorker {
  const worker = opts.inlineCompiles ? withInlineCompiles(() => new Worker(url, { workerData: { [PREPARE]: preload } })) : new Worker(url, { workerData: { [PREPARE]: preload } });
  // A worker that is never given a task must not keep the process alive, nor fail it.
  worker.unref();
  const ignore = () => {};
  worker.on('error', ignore);
  let used = false;
  return {
    start<Out, Note = never>(input: unknown, opts: WorkerTaskOptions<Note> = {}): WorkerTask<Out> {
      if (used) throw new Error('prepareWorkerTask: a prepared worker runs one task');
      used = true;
      worker.off('error', ignore);
      worker.ref();
      const task = attach<Out, Note>(worker, opts);
      worker.postMessage({ t: 'start', input });
      return task;
    },
    async dispose() {
      if (!used) {
        used = true;
        await worker.terminate();
      }
    },
  };
}

/**
 * Makes a worker whose isolate compiles optimized code on its own thread, as it runs, instead of
 * queueing it for a background thread (V8's --no-concurrent-recompilation, which an isolate
 * reads when it is created: set for the worker's creation, and set back once it runs). For a
 * worker that keeps one core busy beside a busy main thread on a 2-core machine: there the
 * background compiles wait for a core while their functions run unoptimized (measured on mask
 * AP, 3,000 images: ~0.1 s less CPU).
 */
function withInlineCompiles(make: () => Worker): Worker {
  setFlagsFromString('--no-concurrent-recompilation');
  let worker: Worker;
  try {
    worker = make();
  } catch (err) {
    setFlagsFromString('--concurrent-recompilation');
    throw err;
  }
  const restore = () => setFlagsFromString('--concurrent-recompilation');
  worker.once('online', restore);
  worker.once('exit', restore);
  return worker;
}

function attach<Out, Note>(worker: Worker, opts: WorkerTaskOptions<Note>): WorkerTask<Out> {
  const signal = opts.signal;
  let settled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    worker.postMessage({ t: 'abort' });
    killTimer = setTimeout(() => void worker.terminate(), opts.abortGraceMs ?? 3000);
  };
  const result = new Promise<Out>((resolve, reject) => {
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // The worker's message port keeps it alive: end it once it has answered.
      void worker.terminate();
      fn();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: Message<Out, Note>) => {
      if (m.t === 'note') opts.onNote?.(m.note);
      else if (m.t === 'done') finish(() => resolve(m.result));
      else finish(() => reject(revive(m)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(signal?.aborted ? 'interrupted' : `worker thread exited (code ${code}) without a result`))));
  });
  result.catch(() => {}); // the caller handles it, or has terminated the worker
  return {
    result,
    send(message: unknown) {
      if (!settled) worker.postMessage({ t: 'msg', message });
    },
    async terminate() {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      await worker.terminate();
    },
  };
}

function revive(m: Extract<Message<unknown, unknown>, { t: 'error' }>): Error {
  if (m.diagnostics) return new DiagnosticError(m.diagnostics, m.exitCode);
  const err = new Error(m.message);
  if (m.name) err.name = m.name;
  if (m.stack) err.stack = `${m.stack}\n    (in worker thread)`;
  return Object.assign(err, m.fs);
}

/** A result whose buffers move to the main thread instead of being copied. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly list: readonly TransferListItem[],
  ) {}
}

export interface WorkerTaskContext<Note> {
  note(note: Note): void;
  /** Aborted when the main thread asks the task to stop. */
  signal: AbortSignal;
  /** The next message the main thread sent with WorkerTask.send (in order). */
  receive(): Promise<unknown>;
}

/**
 * The worker side: call once at the top of the worker module with the task's body. `prepare`
 * runs first when the worker was started by prepareWorkerTask, with its `preload`; the task
 * starts once both it and the task's input are there (a failed `prepare` is only a lost head
 * start: the task runs anyway).
 */
export function serveWorkerTask<In, Out, Note = never>(
  run: (input: In, ctx: WorkerTaskContext<Note>) => Promise<Out | Transfer<Out>>,
  prepare?: (preload: unknown) => Promise<void>,
): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerTask: not in a worker thread');
  const controller = new AbortController();
  const inbox: unknown[] = [];
  const waiting: ((m: unknown) => void)[] = [];
  const receive = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise<unknown>((resolve) => waiting.push(resolve)));
  const post = (m: Message<Out, Note>, transfer?: readonly TransferListItem[]) => port.postMessage(m, transfer as TransferListItem[] | undefined);
  const begin = (input: In) =>
    run(input, { note: (note) => post({ t: 'note', note }), signal: controller.signal, receive }).then(
      (out) => (out instanceof Transfer ? post({ t: 'done', result: out.value }, out.list) : post({ t: 'done', result: out })),
      (err: unknown) => {
        if (err instanceof DiagnosticError) post({ t: 'error', diagnostics: err.diagnostics, exitCode: err.exitCode, message: err.message });
        else if (err instanceof Error) post({ t: 'error', message: err.message, ...(err.stack ? { stack: err.stack } : {}), name: err.name, ...fsFields(err) });
        else post({ t: 'error', message: String(err) });
      },
    );
  const data = workerData as Record<string, unknown> | null;
  const prepared = data !== null && typeof data === 'object' && PREPARE in data;
  const ready = prepared && prepare ? prepare(data[PREPARE]).catch(() => {}) : Promise.resolve();
  port.on('message', (m: { t?: string; input?: In; message?: unknown }) => {
    if (m.t === 'abort') controller.abort();
    else if (m.t === 'msg') {
      const w = waiting.shift();
      if (w) w(m.message);
      else inbox.push(m.message);
    }
    else if (m.t === 'start' && prepared) void ready.then(() => begin(m.input as In));
  });
  if (!prepared) void begin(workerData as In);
}

function fsFields(err: Error): { fs?: FsErrorFields } {
  const e = err as Error & FsErrorFields;
  if (typeof e.code !== 'string') return {};
  const fs: FsErrorFields = {};
  for (const k of ['code', 'path', 'dest', 'syscall'] as const) if (typeof e[k] === 'string') fs[k] = e[k];
  if (typeof e.sizeNeeded === 'number') fs.sizeNeeded = e.sizeNeeded;
  return { fs };
}
