/** A top-level JSON array, element by element (predictions files). */
import { DiagnosticError } from '../../base/diagnostic.js';
import { JsonSyntaxError, NEED_MORE, describeByte, skipWs } from './grammar.js';
import { ByteWindow } from './byte-window.js';
import { diagnosticAt } from './locate.js';
import { skipElement } from './fast-skip.js';

export interface StreamArrayOptions {
  signal?: AbortSignal;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** What the elements are, for messages ("detections" → "expected a JSON array of detections at the top level"). */
  label?: string;
  /** Initial window size in bytes (default 8 MiB; it grows to fit the largest element). Small values exercise refills in tests. */
  windowBytes?: number;
}

/**
 * Streams the top-level JSON array in `path` (plain or .gz), calling onElement for each element
 * with its exact bytes (a Buffer view valid only during the call) and its byte offset in the
 * decompressed text. Throws DiagnosticError (byte offset + line:col, "expected a JSON array of
 * detections at the top level" etc.) on malformed JSON or a non-array top level.
 *
 * `onProgress` receives bytes of the file on disk (compressed bytes for .gz) and its size.
 */
export async function streamTopLevelArray(
  path: string,
  onElement: (bytes: Buffer, start: number, index: number) => void,
  opts: StreamArrayOptions = {},
): Promise<{ count: number; textBytes: number }> {
  const label = opts.label ?? 'values';
  const w = await ByteWindow.open(path, opts.windowBytes);
  // States of the driver; each step reads one token (or one whole element) from `pos`.
  const BEFORE_ARRAY = 0, FIRST = 1, ELEMENT = 2, AFTER_ELEMENT = 3, AFTER_ARRAY = 4;
  let state = BEFORE_ARRAY;
  let pos = 0;
  let index = 0;
  try {
    pos = await w.refill(0);
    if (w.len - pos >= 3 && w.buf[pos] === 0xef && w.buf[pos + 1] === 0xbb && w.buf[pos + 2] === 0xbf) pos += 3; // UTF-8 BOM
    for (;;) {
      try {
        const b = w.buf;
        const end = w.len;
        for (;;) {
          if (state === AFTER_ARRAY) {
            while (pos < end && (b[pos] === 0x20 || b[pos] === 0x0a || b[pos] === 0x0d || b[pos] === 0x09)) pos++;
            if (pos < end) throw new JsonSyntaxError(pos, `unexpected ${describeByte(b[pos])} after the top-level array, expected the end of the file`);
            throw NEED_MORE;
          }
          pos = skipWs(b, pos, end);
          const c = b[pos]!;
          if (state === BEFORE_ARRAY) {
            if (c !== 0x5b) {
              const found = c === 0x7b ? 'an object' : describeByte(c);
              throw new JsonSyntaxError(pos, `expected a JSON array of ${label} at the top level, found ${found}`);
            }
            pos++;
            state = FIRST;
          } else if (state === FIRST && c === 0x5d) {
            pos++;
            state = AFTER_ARRAY;
          } else if (state === FIRST || state === ELEMENT) {
            const stop = skipElement(b, pos, end);
            // Make sure the delimiter after the element is in the window before reporting it,
            // so that an element is reported exactly once even if the window is refilled.
            skipWs(b, stop, end);
            onElement(b.subarray(pos, stop), w.base + pos, index++);
            pos = stop;
            state = AFTER_ELEMENT;
          } else {
            if (c === 0x2c) {
              pos++;
              state = ELEMENT;
            } else if (c === 0x5d) {
              pos++;
              state = AFTER_ARRAY;
            } else {
              throw new JsonSyntaxError(pos, `unexpected ${describeByte(c)} after element ${index - 1} of the top-level array, expected ',' or ']'`);
            }
          }
        }
      } catch (err) {
        if (err !== NEED_MORE) throw err;
        if (w.eof) {
          if (state === AFTER_ARRAY) break;
          const what = state === BEFORE_ARRAY ? `expected a JSON array of ${label} at the top level` : `unexpected end of input inside the top-level array (after ${index} ${label}); the file is truncated`;
          throw new JsonSyntaxError(w.len, state === BEFORE_ARRAY ? `${what}, found an empty file` : what);
        }
        opts.signal?.throwIfAborted();
        pos = await w.refill(pos);
        opts.onProgress?.(w.diskBytesRead, w.diskBytes);
      }
    }
    return { count: index, textBytes: w.base + w.len };
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      throw new DiagnosticError([await diagnosticAt(path, w.base + err.pos, err.message)]);
    }
    throw err;
  } finally {
    await w.close();
  }
}
