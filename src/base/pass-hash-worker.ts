/** The hashing thread of pass-hash.ts: sha256 of the blocks it is handed, in order. */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { FromHashThread, ToHashThread } from './pass-hash.js';

const port = parentPort!;
const hash = createHash('sha256');
const buffers = new Map<number, Uint8Array>();
let pending: Int32Array<ArrayBufferLike> = new Int32Array(0);
const send = (m: FromHashThread) => port.postMessage(m);
port.on('message', (m: ToHashThread) => {
  switch (m.t) {
    case 'init':
      pending = new Int32Array(m.pending);
      break;
    case 'buffer':
      buffers.set(m.id, new Uint8Array(m.sab));
      break;
    case 'update':
      hash.update(buffers.get(m.id)!.subarray(m.start, m.end));
      Atomics.sub(pending, m.id, 1);
      Atomics.notify(pending, m.id);
      break;
    case 'bytes':
      hash.update(m.bytes);
      break;
    case 'digest':
      send({ t: 'digest', hex: hash.digest('hex') });
      break;
  }
});
