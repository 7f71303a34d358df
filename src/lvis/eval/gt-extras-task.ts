/**
 * The GT pass of mask AP (gt-extras.ts), started before the detections are read: on a second
 * thread when the GT is large and a second core is idle, so that rasterising the GT polygons
 * and reading the detections run side by side (they share nothing); else in this thread.
 */
import { availableParallelism, cpus } from 'node:os';
import { startWorkerTask } from '../../base/worker-task.js';
import { CountsStore, type CountsStoreData } from '../mask/counts-store.js';
import { readGtExtras, type GtExtras, type GtExtrasOptions, type GtRecords } from './gt-extras.js';
import type { SegmentationQuirks } from './segmentation-rle.js';

/** Below this many annotations a thread costs more than it saves. */
const THREAD_MIN_ANNOTATIONS = 5000;

/** What the worker sends back. */
export interface GtExtrasMessage {
  ignore: Uint8Array;
  quirks: SegmentationQuirks;
  masks?: { store: CountsStoreData; ofRecord: Int32Array };
}

export interface GtExtrasTask {
  result: Promise<GtExtras>;
  /** Stops a pass in a thread (the caller failed before it needed the result). */
  stop(): Promise<void>;
}

/** Starts the pass; in a second thread when `idle` (a core was free) and there are masks enough to draw. */
export function startGtExtras(records: GtRecords, opts: GtExtrasOptions, idle: boolean): GtExtrasTask {
  if (!opts.masks || !idle || records.count < THREAD_MIN_ANNOTATIONS) {
    const result = readGtExtras(records, opts);
    result.catch(() => {}); // awaited by the caller, or dropped after its own failure
    return { result, stop: async () => {} };
  }
  const task = startWorkerTask<GtExtrasMessage>(new URL('./gt-extras-worker.js', import.meta.url), { records, masks: opts.masks }, opts.signal ? { signal: opts.signal } : {});
  const result = task.result.then((m) => ({
    ignore: m.ignore,
    quirks: m.quirks,
    ...(m.masks ? { masks: { store: CountsStore.fromMessage(m.masks.store), ofRecord: m.masks.ofRecord } } : {}),
  }));
  result.catch(() => {});
  return { result, stop: () => task.terminate() };
}

/** Whether a second core sits idle, from 50 ms of the machine's CPU times (started early, awaited late). */
export async function secondCoreIdle(): Promise<boolean> {
  const cores = availableParallelism();
  if (cores < 2) return false;
  const idle = () => cpus().reduce((sum, c) => sum + c.times.idle, 0);
  const all = () => cpus().reduce((sum, c) => sum + c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const [i0, a0] = [idle(), all()];
  await new Promise((resolve) => setTimeout(resolve, 50));
  const total = all() - a0;
  return total > 0 && (cores * (idle() - i0)) / total >= 1.5;
}
