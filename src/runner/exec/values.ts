/**
 * Decoded value artifacts, one read-only copy per process (input-value.ts), by digest. Bytes a
 * step of this process just produced are kept until their first reader decodes them, which saves
 * reading them back from the store.
 */
import type { CacheStore } from '../cache/store.js';
import type { StoredOutput } from '../cache/records.js';
import { decodeInput } from '../step/input-value.js';
import type { StepRegistry } from '../step/registry.js';

export class ValueMemo {
  private readonly values = new Map<string, Promise<unknown>>();
  private readonly encoded = new Map<string, Uint8Array>();

  constructor(
    private readonly store: CacheStore,
    private readonly registry: StepRegistry,
  ) {}

  /** Decodes a stored value artifact once per process. */
  get(out: StoredOutput): Promise<unknown> {
    let v = this.values.get(out.digest);
    if (!v) {
      const kind = this.registry.kind(out.kind);
      if (kind.storage !== 'value') throw new Error(`kind ${out.kind} is not a value kind`);
      const fresh = this.encoded.get(out.digest);
      this.encoded.delete(out.digest);
      v = (fresh ? Promise.resolve(fresh) : this.store.readObject(out.digest)).then((bytes) =>
        decodeInput(kind, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
      );
      this.values.set(out.digest, v);
      v.catch(() => this.values.delete(out.digest));
    }
    return v;
  }

  /** Bytes of a value just stored under `digest`, for its first reader (unless decoded already). */
  produced(digest: string, bytes: Uint8Array): void {
    if (!this.values.has(digest)) this.encoded.set(digest, bytes);
  }
}
