/**
 * Streamed, atomic output files for the write and prune steps, plain or gzip-compressed.
 *
 * `writeFileAtomically(path, fill)` opens a temp file next to `path`, lets `fill` write into
 * a chunked buffer, and renames the temp file into place only when `fill` resolves. If
 * `fill` throws (bad input found halfway, Ctrl-C), the temp file is removed and `path` is
 * left as it was: nothing half-written is ever visible under the final name.
 *
 * The writer copies small pieces (one record of a few hundred bytes each) into a 4 MiB
 * buffer and hands full buffers to the OS, so a 100 MB output costs ~25 write calls, not
 * one per record, and the output is never held in memory as one string.
 */
import { createReadStream, createWriteStream, writeSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { noteWrite } from '../../base/fs-problems.js';

const DEFAULT_CHUNK_BYTES = 4 << 20;

export class ChunkedFileWriter {
  private buf: Buffer;
  private used = 0;
  private written = 0;

  constructor(
    private readonly fh: FileHandle,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  /** Bytes handed to the writer so far (flushed or not). */
  get bytesWritten(): number {
    return this.written + this.used;
  }

  /**
   * Appends bytes. Returns a promise only when the buffer had to be flushed; callers in hot
   * loops can skip the `await` tick otherwise (`const p = w.write(b); if (p) await p;`).
   */
  write(bytes: Uint8Array): Promise<void> | undefined {
    const n = bytes.length;
    if (n <= 8 && n <= this.buf.length - this.used) {
      // Separators: a byte loop beats TypedArray.set's call overhead for a few bytes.
      for (let i = 0; i < n; i++) this.buf[this.used + i] = bytes[i]!;
      this.used += n;
      return undefined;
    }
    if (bytes.length <= this.buf.length - this.used) {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
      return undefined;
    }
    return this.writeSlow(bytes);
  }

  /** Appends a string as UTF-8. */
  writeText(text: string): Promise<void> | undefined {
    // Short ASCII-ish strings: encode straight into the buffer when they surely fit.
    if (text.length * 3 <= this.buf.length - this.used) {
      this.used += this.buf.write(text, this.used, 'utf8');
      return undefined;
    }
    return this.write(Buffer.from(text, 'utf8'));
  }

  private async writeSlow(bytes: Uint8Array): Promise<void> {
    await this.flush();
    if (bytes.length >= this.buf.length) {
      await writeAllAsync(this.fh, bytes);
      this.written += bytes.length;
    } else {
      this.buf.set(bytes, 0);
      this.used = bytes.length;
    }
  }

  /**
   * Appends bytes from a synchronous callback (e.g. streamTopLevelArray's onElement): a full
   * buffer is flushed with a blocking write. Do not mix with a pending async `write`.
   */
  writeSync(bytes: Uint8Array): void {
    const n = bytes.length;
    if (n <= 8 && n <= this.buf.length - this.used) {
      // Separators: a byte loop beats TypedArray.set's call overhead for a few bytes.
      for (let i = 0; i < n; i++) this.buf[this.used + i] = bytes[i]!;
      this.used += n;
      return;
    }
    if (bytes.length > this.buf.length - this.used) {
      this.flushSync();
      if (bytes.length >= this.buf.length) {
        writeAll(this.fh.fd, bytes);
        this.written += bytes.length;
        return;
      }
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Appends src[start .. end) if it fits in the buffer without a flush; false otherwise. */
  tryCopy(src: Buffer, start: number, end: number): boolean {
    const n = end - start;
    if (n > this.buf.length - this.used) return false;
    src.copy(this.buf, this.used, start, end);
    this.used += n;
    return true;
  }

  /** Appends src[start .. end) from a synchronous callback, without making a view of it. */
  copySync(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n > this.buf.length - this.used) {
      this.flushSync();
      if (n >= this.buf.length) {
        writeAll(this.fh.fd, src.subarray(start, end));
        this.written += n;
        return;
      }
    }
    src.copy(this.buf, this.used, start, end);
    this.used += n;
  }

  writeTextSync(text: string): void {
    if (text.length * 3 <= this.buf.length - this.used) this.used += this.buf.write(text, this.used, 'utf8');
    else this.writeSync(Buffer.from(text, 'utf8'));
  }

  private flushSync(): void {
    writeAll(this.fh.fd, this.buf.subarray(0, this.used));
    this.written += this.used;
    this.used = 0;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    await writeAllAsync(this.fh, this.buf.subarray(0, n));
    this.written += n;
    this.used = 0;
  }
}

async function writeAllAsync(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += (await fh.write(bytes, off, bytes.length - off)).bytesWritten;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

/**
 * Writes `path` through a temp file in the same folder and a rename. Returns what `fill`
 * returns. The temp file is removed if anything fails.
 */
export async function writeFileAtomically<T>(
  path: string,
  fill: (writer: ChunkedFileWriter) => Promise<T>,
  opts: { gzip?: boolean } = {},
): Promise<T> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  const gz = `${temp}.gz`;
  let fh: FileHandle | undefined;
  let writer: ChunkedFileWriter | undefined;
  try {
    fh = await open(temp, 'wx');
    writer = new ChunkedFileWriter(fh);
    const result = await fill(writer);
    await writer.flush();
    await fh.close();
    fh = undefined;
    if (opts.gzip) {
      // A second streamed pass rather than compressing inside the writer: the writer's
      // synchronous flush (prune-preds' element callbacks) has no synchronous gzip to feed,
      // and compression, not the extra read of a file just written, is what costs here.
      await pipeline(createReadStream(temp, { highWaterMark: 1 << 20 }), createGzip({ level: 6 }), createWriteStream(gz, { flags: 'wx' }));
      await rm(temp);
      await rename(gz, path);
    } else await rename(temp, path);
    return result;
  } catch (err) {
    if (fh) await fh.close().catch(() => undefined);
    await rm(temp, { force: true });
    await rm(gz, { force: true });
    // A full disk: at least what was written so far was needed (the whole file is not known yet).
    throw noteWrite(err, temp, writer?.bytesWritten ?? 0);
  }
}
