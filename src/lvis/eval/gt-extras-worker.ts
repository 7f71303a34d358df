/**
 * Worker thread entry for gt-extras-task.ts: reads the GT's masks and `ignore` flags
 * (gt-extras.ts) and sends them (a note: the masks are in shared memory), then scores the share
 * of mask AP's categories it is given (score-share.ts), or ends when given none.
 */
import { serveWorkerTask } from '../../base/worker-task.js';
import { readGtExtras } from './gt-extras.js';
import type { GtExtrasInput, GtExtrasMessage } from './gt-extras-task.js';
import { scoreShare, type ScoringJob, type ScoringShareResult } from './score-share.js';

// Started ahead of its task (gt-extras-task.ts: prepareWorkerTask): the modules load while the GT does.
serveWorkerTask<GtExtrasInput, ScoringShareResult | null, GtExtrasMessage>(async ({ records, masks, share }, { signal, note, receive }) => {
  const extras = await readGtExtras(records, { masks, share, signal });
  const message: GtExtrasMessage = {
    ignore: extras.ignore,
    quirks: extras.quirks,
    ...(extras.masks ? { masks: { store: extras.masks.store.toMessage(), ofRecord: extras.masks.ofRecord } } : {}),
  };
  note(message);
  const job = (await receive()) as ScoringJob | null;
  return job ? scoreShare(job) : null;
}, async () => {});
