/**
 * Hashing helpers: canonical JSON (sorted keys, no whitespace) and sha256 of bytes or files.
 * Cache keys are sha256(canonicalJson(keyMaterial)), so the same material always gives the
 * same key, whatever the order in which its object keys were built.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * JSON with object keys sorted at every level and no whitespace. `undefined` members are
 * dropped (as JSON.stringify does); non-finite numbers are rejected, because JSON cannot
 * represent them and a key must not silently collapse NaN and null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (Array.isArray(value)) {
        return '[' + value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',') + ']';
      }
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        const v = obj[k];
        if (v === undefined || typeof v === 'function') continue;
        parts.push(JSON.stringify(k) + ':' + canonicalJson(v));
      }
      return '{' + parts.join(',') + '}';
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 and size of a file, streamed (constant memory whatever the file's size). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: hash.digest('hex'), size };
}

/** A short form of a key or digest for humans (12 hex digits, like git's abbreviations). */
export function shortHash(h: string): string {
  return h.slice(0, 12);
}
