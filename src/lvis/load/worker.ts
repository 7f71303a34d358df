/**
 * Worker thread entry for parallel.ts: scans a plain file from a record boundary to its end and
 * sends the columns back (their buffers transferred, not copied), through base/worker-task.ts.
 */
import { serveWorkerTask, Transfer } from '../../base/worker-task.js';
import { scanToMessage, type SecondHalf, type SecondHalfJob } from './parallel.js';
import { AbsoluteSyntaxError, scanFile } from './scan.js';

/** Progress is sent every this many bytes, not on every window. */
const PROGRESS_BYTES = 16 << 20;

serveWorkerTask<SecondHalfJob, SecondHalf, number>(async (job, { note }) => {
  let lastProgress = 0;
  try {
    const scan = await scanFile(
      job.path,
      false,
      {
        maxErrors: job.maxErrors,
        windowBytes: job.windowBytes,
        onProgress(read) {
          if (read - lastProgress >= PROGRESS_BYTES) {
            lastProgress = read;
            note(read);
          }
        },
      },
      { startAt: { offset: job.offset, array: job.array } },
    );
    const { message, transfer } = scanToMessage(scan);
    return new Transfer<SecondHalf>({ scan: message }, transfer);
  } catch (err) {
    // A syntax error in this half is a result, not a failure: the first half decides whether it counts.
    if (err instanceof AbsoluteSyntaxError) return { syntax: { offset: err.offset, message: err.message, shape: err.shape } };
    throw err;
  }
});
