/**
 * Worker thread entry for load-parallel.ts: scans a plain file from a record boundary to its
 * end and posts the columns back (their buffers transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AbsoluteSyntaxError, scanFile, type SplitArray } from './scan.js';
import { scanToMessage, type WorkerReply } from './parallel.js';

interface Job {
  path: string;
  offset: number;
  array: SplitArray;
  maxErrors: number;
  windowBytes?: number;
}

const job = workerData as Job;
const port = parentPort!;
let lastProgress = 0;
try {
  const scan = await scanFile(
    job.path,
    false,
    {
      maxErrors: job.maxErrors,
      windowBytes: job.windowBytes,
      onProgress(read) {
        if (read - lastProgress >= 16 << 20) {
          lastProgress = read;
          port.postMessage({ progress: read } satisfies WorkerReply);
        }
      },
    },
    { startAt: { offset: job.offset, array: job.array } },
  );
  const { message, transfer } = scanToMessage(scan);
  port.postMessage({ scan: message } satisfies WorkerReply, transfer);
} catch (err) {
  if (err instanceof AbsoluteSyntaxError) {
    port.postMessage({ syntax: { offset: err.offset, message: err.message, shape: err.shape } } satisfies WorkerReply);
  } else {
    port.postMessage({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply);
  }
}
