/** One field of a small JSON object (a detection), read without parsing the rest. */
import { JsonSyntaxError, NEED_MORE, describeByte, isDigit, skipString, skipValue, skipWs } from './grammar.js';
import { skipElement } from './fast-skip.js';
import { bytesEqual, readNumber, readString } from './read-values.js';

const fieldKeyCache = new Map<string, Uint8Array>();

/**
 * The numeric value of top-level member `field` of the JSON object in `bytes`, skipping nested
 * values without parsing them; undefined if absent; throws an Error naming the field if it is
 * not a number.
 */
export function readNumberField(bytes: Buffer, field: string): number | undefined {
  let key = fieldKeyCache.get(field);
  if (!key) {
    key = Buffer.from(field, 'utf8');
    if (fieldKeyCache.size < 64) fieldKeyCache.set(field, key);
  }
  const b = bytes;
  const end = b.length;
  try {
    let p = skipWs(b, 0, end);
    if (b[p] !== 0x7b) throw new Error(`expected a JSON object with a "${field}" field, found ${describeByte(b[p])}`);
    p = skipWs(b, p + 1, end);
    if (b[p] === 0x7d) return undefined;
    for (;;) {
      if (b[p] !== 0x22) throw new JsonSyntaxError(p, `expected a '"' starting a key, found ${describeByte(b[p])}`);
      const keyEnd = skipString(b, p, end);
      const matches = bytesEqual(b, p + 1, keyEnd - 1, key) || (hasBackslash(b, p, keyEnd) && readString(b, p, end) === field);
      p = skipWs(b, keyEnd, end);
      if (b[p] !== 0x3a) throw new JsonSyntaxError(p, `expected ':' after a key, found ${describeByte(b[p])}`);
      p = skipWs(b, p + 1, end);
      if (matches) {
        const c = b[p]!;
        if (c !== 0x2d && !isDigit(c)) {
          const stop = skipValue(b, p, end);
          const shown = stop - p > 40 ? `${b.subarray(p, p + 40).toString('utf8')}…` : b.subarray(p, stop).toString('utf8');
          throw new Error(`field "${field}" must be a number, found ${shown}`);
        }
        // Numbers need a delimiter after them; the element's bytes end with '}' so it is there.
        return readNumber(b, p, end);
      }
      p = skipWs(b, skipElement(b, p, end), end);
      const d = b[p];
      if (d === 0x2c) p = skipWs(b, p + 1, end);
      else if (d === 0x7d) return undefined;
      else throw new JsonSyntaxError(p, `expected ',' or '}' after a member, found ${describeByte(d)}`);
    }
  } catch (err) {
    if (err === NEED_MORE) throw new Error(`looking for "${field}": the JSON object ends early (truncated)`);
    if (err instanceof JsonSyntaxError) throw new Error(`looking for "${field}": ${err.message} at byte ${err.pos} of the object`);
    throw err;
  }
}


function hasBackslash(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] === 0x5c) return true;
  return false;
}
