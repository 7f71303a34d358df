/**
 * How a step receives a value input, in every execution mode: decoded from the stored bytes
 * and read-only.
 *
 * - Decoded from bytes even when the producer ran in this process a moment ago, so that a step
 *   sees exactly what it would see from a cache hit or in a worker thread (a kind whose encoding
 *   drops something can't make a cold run differ from a warm one).
 * - Plain objects and arrays are frozen, deeply, because one decoded value is shared by every
 *   consumer in the process: a step that changed its input in place would change what the next
 *   consumer sees, depending on `--jobs` and on scheduling. With the freeze, such a step fails at
 *   once, the same way in every mode. Typed arrays cannot be frozen; they are read-only by
 *   contract (step.ts).
 */
import type { ArtifactKind } from './step.js';

export function decodeInput(kind: Extract<ArtifactKind<unknown>, { storage: 'value' }>, bytes: Uint8Array): unknown {
  return deepFreeze(kind.decode(bytes));
}

function deepFreeze(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return v;
  const proto = Object.getPrototypeOf(v) as unknown;
  if (Array.isArray(v)) {
    Object.freeze(v);
    for (const x of v) if (x !== null && typeof x === 'object') deepFreeze(x);
  } else if (proto === Object.prototype || proto === null) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  // Class instances (Map, Set, own classes) are left as they are: freezing them would not stop
  // their methods from changing internal state, and it could break them.
  return v;
}
