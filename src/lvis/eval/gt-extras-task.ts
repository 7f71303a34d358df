/**
 * The GT pass of mask AP (gt-extras.ts), started before the detections are read: on a second
 * thread when the GT is large and the machine has a second core, so that rasterising the GT
 * polygons and reading the detections run side by side (they share nothing: measured, this
 * takes the GT pass, ~30% of mask AP's time on 3,000 images, off the critical path); else in
 * this thread.
 */
import { availableParallelism } from 'node:os';
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

/** Starts the pass; in a second thread when the machine has two cores and there are masks enough to draw. */
export function startGtExtras(records: GtRecords, opts: GtExtrasOptions): GtExtrasTask {
  if (!opts.masks || availableParallelism() < 2 || records.count < THREAD_MIN_ANNOTATIONS) {
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
