/**
 * Worker thread entry for gt-extras-task.ts: reads the GT's masks and `ignore` flags
 * (gt-extras.ts) and sends them back, the masks' buffers moved rather than copied.
 */
import { serveWorkerTask, Transfer } from '../../base/worker-task.js';
import { readGtExtras, type GtRecords } from './gt-extras.js';
import type { GtExtrasMessage } from './gt-extras-task.js';

// Started ahead of its task (gt-extras-task.ts: prepareWorkerTask): the modules load while the GT does.
serveWorkerTask<{ records: GtRecords; masks: boolean }, GtExtrasMessage>(async ({ records, masks }, { signal }) => {
  const extras = await readGtExtras(records, { masks, signal });
  const store = extras.masks?.store.toMessage();
  const message: GtExtrasMessage = {
    ignore: extras.ignore,
    quirks: extras.quirks,
    ...(extras.masks && store ? { masks: { store: store.data, ofRecord: extras.masks.ofRecord } } : {}),
  };
  const transfer = [extras.ignore.buffer as ArrayBuffer, ...(store ? store.transfer : []), ...(extras.masks ? [extras.masks.ofRecord.buffer as ArrayBuffer] : [])];
  return new Transfer(message, transfer);
}, async () => {});
