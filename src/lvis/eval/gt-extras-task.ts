/**
 * The GT pass of mask AP (gt-extras.ts), started before the detections are read: on a second
 * thread when the GT is large and the machine has a second core, so that rasterising the GT
 * polygons and reading the detections run side by side (they share nothing: measured, this
 * takes the GT pass, ~30% of mask AP's time on 3,000 images, off the critical path); else in
 * this thread. The worker is started before the GT is loaded, so that it boots (~0.2 s of
 * module loading) meanwhile. Once the masks are drawn (they are in shared memory), the worker
 * stays to score a share of the categories with this thread (score-share.ts), or is let go.
 */
import { availableParallelism } from 'node:os';
import { prepareWorkerTask, type PreparedWorker } from '../../base/worker-task.js';
import { CountsStore, type CountsStoreData } from '../mask/counts-store.js';
import type { ScoringPartner } from './evaluate.js';
import { DiagnosticError } from '../../base/diagnostic.js';
import { joinGtExtras, newGtExtrasShare, readGtExtras, type GtExtras, type GtExtrasOptions, type GtExtrasShare, type GtRecords } from './gt-extras.js';
import type { ScoringJob, ScoringShareResult } from './score-share.js';
import type { SegmentationQuirks } from './segmentation-rle.js';

/** Below this many annotations a thread costs more than it saves. */
const THREAD_MIN_ANNOTATIONS = 5000;

/** The worker's task. */
export interface GtExtrasInput {
  records: GtRecords;
  masks: boolean;
  share: GtExtrasShare;
}

/** What the worker sends back (as a note), before it waits for its share of the scoring (a ScoringJob, or null). */
export interface GtExtrasMessage {
  ignore: Uint8Array;
  quirks: SegmentationQuirks;
  masks?: { store: CountsStoreData; ofRecord: Int32Array };
}

export interface GtExtrasTask {
  /** With a thread: draws in this thread too the masks it has not taken yet (else nothing to do). */
  help(): Promise<void>;
  /** The pass's result (call it after help(), or the thread draws alone what is left). */
  result(): Promise<GtExtras>;
  /** With a thread: the thread, to score a share of mask AP's categories once `result` is in. */
  partner?: ScoringPartner;
  /** Ends the thread (when it has not finished: the caller failed, or needs no scoring from it). */
  stop(): Promise<void>;
}

/** A worker started before the GT is loaded (it boots while the GT loads), given its task later, or disposed of. */
export interface GtExtrasThread {
  prepared: PreparedWorker;
}

const WORKER = new URL('./gt-extras-worker.js', import.meta.url);

/** Starts the pass's worker ahead of its task, when the machine has two cores; undefined otherwise. */
export function prepareGtExtrasThread(): GtExtrasThread | undefined {
  return availableParallelism() < 2 ? undefined : { prepared: prepareWorkerTask(WORKER, null, { inlineCompiles: availableParallelism() <= 2 }) };
}

/**
 * Starts the pass: in `thread` (a worker prepared ahead) when there are masks enough to draw
 * (or on any GT with `anySize`), else in this thread. A prepared worker that is not used is disposed of.
 */
export function startGtExtras(records: GtRecords, opts: GtExtrasOptions & { anySize?: boolean }, thread?: GtExtrasThread): GtExtrasTask {
  if (!thread || !opts.masks || (records.count < THREAD_MIN_ANNOTATIONS && !opts.anySize)) {
    void thread?.prepared.dispose();
    const result = readGtExtras(records, opts);
    result.catch(() => {}); // awaited by the caller, or dropped after its own failure
    return { help: async () => {}, result: () => result, stop: async () => {} };
  }
  const share = newGtExtrasShare(records.count);
  let extras!: (m: GtExtrasMessage) => void;
  const noted = new Promise<GtExtrasMessage>((resolve) => (extras = resolve));
  const input: GtExtrasInput = { records, masks: opts.masks, share: { ...share, second: false } };
  const task = thread.prepared.start<ScoringShareResult | null, GtExtrasMessage>(input, { onNote: extras, ...(opts.signal ? { signal: opts.signal } : {}) });
  const fromThread = Promise.race([noted, task.result.then(() => Promise.reject(new Error('the GT thread ended without its masks')))]).then(
    (m): GtExtras => ({ ignore: m.ignore, quirks: m.quirks, ...(m.masks ? { masks: { store: CountsStore.fromMessage(m.masks.store), ofRecord: m.masks.ofRecord } } : {}) }),
  );
  fromThread.catch(() => {});
  let mine: Promise<GtExtras> | undefined;
  const joined = async (): Promise<GtExtras> => {
    try {
      const [a, b] = await Promise.all([fromThread, mine]);
      return b ? joinGtExtras(a, b) : a;
    } catch (err) {
      // A bad record: read again in one thread, for the same report (the first ones, in file order) as without a thread.
      if (err instanceof DiagnosticError) await readGtExtras(records, { masks: opts.masks, ...(opts.signal ? { signal: opts.signal } : {}) });
      throw err;
    }
  };
  const partner: ScoringPartner = {
    score(job: ScoringJob) {
      task.send(job);
      return task.result.then((r) => r ?? {});
    },
  };
  return {
    async help() {
      mine = readGtExtras(records, { ...opts, share: { ...share, second: true } });
      await mine.catch(() => {});
    },
    result: joined,
    partner,
    stop: () => task.terminate(),
  };
}
