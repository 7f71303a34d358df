/**
 * Streams generated text to a file atomically: chunks go to a temp file beside the target
 * (through gzip when asked), which is renamed into place only once complete. A failure or an
 * abort removes the temp file, so a target path never holds a half-written file.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface WrittenFile {
  path: string;
  /** Bytes of the (uncompressed) JSON text. */
  textBytes: number;
  /** Bytes on disk. */
  fileBytes: number;
}

export async function writeTextAtomically(
  path: string,
  chunks: Iterable<string>,
  options: { gzip: boolean; signal?: AbortSignal },
): Promise<WrittenFile> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now().toString(36)}.partial`;
  let textBytes = 0;
  function* counted(): Generator<string> {
    for (const chunk of chunks) {
      options.signal?.throwIfAborted();
      textBytes += Buffer.byteLength(chunk);
      yield chunk;
    }
  }
  try {
    const source = Readable.from(counted(), { objectMode: false, highWaterMark: 1 });
    const sink = createWriteStream(temp);
    const streamOptions = options.signal ? { signal: options.signal } : {};
    if (options.gzip) await pipeline(source, createGzip({ level: 9 }), sink, streamOptions);
    else await pipeline(source, sink, streamOptions);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { path, textBytes, fileBytes: (await stat(path)).size };
}
