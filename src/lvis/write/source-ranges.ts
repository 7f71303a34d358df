/**
 * Reads byte ranges of a loaded Dataset's source file, so that `write` and `prune-gt` copy
 * image and annotation records exactly as they are in the source.
 *
 * Ranges must be requested in ascending order (the writers emit records in source order,
 * and the output's top-level keys in the source's order, so that is always the case). That
 * lets one reader serve both kinds of source:
 * - a plain file is read in 8 MiB blocks with positional reads; blocks that hold no
 *   requested range are never read (a 10% subset of a 1 GB file skips most of it);
 * - a gzip file, or a zip's JSON member, is decompressed once, front to back
 *   (src/lvis/source/); a range that starts before the current position is a bug and throws.
 *
 * Byte offsets are those of the decompressed text, as the Dataset records them.
 */
import { readSync } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { DiagnosticError } from '../../base/diagnostic.js';
import type { DatasetSource } from '../dataset/dataset.js';
import type { CompressedText } from '../source/compressed-text.js';
import { compressedText, openSourceFile, type SourceFile } from '../source/source-file.js';

const BLOCK_BYTES = 8 << 20;
/** The smallest read: a 4 KiB page (records of a sparse subset are ~1 kB, tens of kB apart). */
const MIN_READ_BYTES = 4 << 10;
/** Reads up to this size are synchronous: a thread-pool round trip costs more than the copy. */
const SYNC_READ_BYTES = 256 << 10;

export type ByteSink = (bytes: Uint8Array) => Promise<void> | undefined;

export class SourceRangeReader {
  /** Window of decompressed text currently held: bytes [winStart, winStart + win.length). */
  private win: Buffer = Buffer.alloc(0);
  private winStart = 0;
  /** A compressed source's text, and where the text handed out so far ends. */
  private text: CompressedText | undefined;
  private textEnd = 0;
  private readonly blockBuf: Buffer | undefined;
  /**
   * How much a plain file's read takes from the first missing byte on, adapted to what the
   * writer uses: up to 8 MiB while most of each window is copied out (a dense subset: few large
   * reads), down to a page when little of it is (a 2% subset of a 1 GB file then reads ~0.1 GB
   * instead of all of it). See fill().
   */
  private readBytes = 1 << 20;
  private usedInWindow = 0;
  private totalRead = 0;

  private constructor(
    private readonly source: DatasetSource,
    private readonly fh: FileHandle | undefined,
    private readonly fileBytes: number,
    private readonly signal: AbortSignal | undefined,
    text: CompressedText | undefined,
  ) {
    this.text = text;
    if (!text) this.blockBuf = Buffer.allocUnsafe(BLOCK_BYTES);
  }

  /**
   * Opens the source of a Dataset. Fails with a Diagnostic when the file is gone or no
   * longer has the size it had when it was loaded.
   */
  static async open(source: DatasetSource, signal?: AbortSignal): Promise<SourceRangeReader> {
    let f: SourceFile;
    try {
      await stat(source.path);
    } catch (err) {
      throw new DiagnosticError([
        {
          severity: 'error',
          message:
            `cannot read the file this dataset was loaded from (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
            'the records are copied from it, so it must stay where it was loaded (or run the load step on its new path)',
          location: { file: source.path },
        },
      ]);
    }
    try {
      f = await openSourceFile(source.path);
    } catch (err) {
      throw sourceChanged(source, err instanceof DiagnosticError ? err.diagnostics[0]!.message : String(err));
    }
    if (f.encoding !== source.encoding) {
      await f.fh.close();
      throw sourceChanged(source, `it is now ${f.encoding === 'plain' ? 'plain JSON' : f.encoding}, it was ${source.encoding === 'plain' ? 'plain JSON' : source.encoding} when it was loaded`);
    }
    if (f.plan) return new SourceRangeReader(source, undefined, f.size, signal, compressedText(f));
    if (f.size !== source.textBytes) {
      await f.fh.close();
      throw sourceChanged(source, `it now has ${f.size} bytes, it had ${source.textBytes} when it was loaded`);
    }
    return new SourceRangeReader(source, f.fh, f.size, signal, undefined);
  }

  /** Bytes read from a plain source so far (a compressed source is decompressed front to back). */
  get bytesRead(): number {
    return this.totalRead;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    await this.text?.close();
  }

  /** Feeds bytes [start, end) of the source to `sink`, in one or more pieces. */
  async copy(start: number, end: number, sink: ByteSink): Promise<void> {
    let pos = start;
    while (pos < end) {
      if (pos < this.winStart || pos >= this.winStart + this.win.length) await this.fill(pos);
      const from = pos - this.winStart;
      const to = Math.min(end, this.winStart + this.win.length) - this.winStart;
      this.usedInWindow += to - from;
      const p = sink(this.win.subarray(from, to));
      if (p) await p;
      pos += to - from;
    }
  }

  /** Bytes [start, end) as one Buffer (a copy; for records that get edited). */
  async read(start: number, end: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(end - start);
    let at = 0;
    await this.copy(start, end, (bytes) => {
      out.set(bytes, at);
      at += bytes.length;
      return undefined;
    });
    return out;
  }

  /**
   * Copies a whole JSON record and checks that it is one: the range must start with `{` and
   * end with `}`. A mismatch means the source file changed after it was loaded (the runner
   * hashes the file, so only an edit during a run gets here). `what` names the record for
   * the message ("image id 42").
   */
  async copyRecord(start: number, end: number, what: () => string, sink: ByteSink): Promise<void> {
    if (!(end > start)) throw new Error(`internal: ${what()} has no byte range (${start}..${end})`);
    let first = -1;
    let last = -1;
    await this.copy(start, end, (bytes) => {
      if (first < 0) first = bytes[0]!;
      last = bytes[bytes.length - 1]!;
      return sink(bytes);
    });
    if (first !== 0x7b || last !== 0x7d) {
      throw sourceChanged(this.source, `${what()} at bytes ${start}..${end} is no longer a JSON object`);
    }
  }

  /**
   * copyRecord without a promise, for the common case: the record is in the current window,
   * looks like an object, and fits in the writer's buffer. Returns false (having done
   * nothing) otherwise, and the caller uses copyRecord.
   */
  copyRecordSync(start: number, end: number, writer: { tryCopy(src: Buffer, start: number, end: number): boolean }): boolean {
    const from = start - this.winStart;
    const to = end - this.winStart;
    if (from < 0 || to > this.win.length || !(to > from)) return false;
    if (this.win[from] !== 0x7b || this.win[to - 1] !== 0x7d) return false;
    if (!writer.tryCopy(this.win, from, to)) return false;
    this.usedInWindow += to - from;
    return true;
  }

  private async fill(pos: number): Promise<void> {
    if (this.signal?.aborted) throw this.signal.reason ?? new Error('aborted');
    if (!this.text) {
      if (pos >= this.fileBytes) throw sourceChanged(this.source, `it ends before byte ${pos}`);
      // Adapt the read size to the last window's use: over half of it used, double it; under
      // an eighth, shrink it to about what was used (a power of two, at least a page).
      if (this.win.length > 0) {
        const used = this.usedInWindow / this.win.length;
        if (used > 1 / 2) this.readBytes = Math.min(BLOCK_BYTES, this.readBytes * 2);
        else if (used < 1 / 8) this.readBytes = Math.max(MIN_READ_BYTES, 2 ** Math.ceil(Math.log2(Math.max(1, this.usedInWindow))));
      }
      this.usedInWindow = 0;
      const want = Math.min(this.readBytes, this.fileBytes - pos);
      const bytesRead = want <= SYNC_READ_BYTES ? readSync(this.fh!.fd, this.blockBuf!, 0, want, pos) : (await this.fh!.read(this.blockBuf!, 0, want, pos)).bytesRead;
      if (bytesRead <= 0) throw sourceChanged(this.source, `it ends before byte ${pos}`);
      this.totalRead += bytesRead;
      this.win = this.blockBuf!.subarray(0, bytesRead);
      this.winStart = pos;
      return;
    }
    if (pos < this.winStart) throw new Error(`internal: compressed source ranges must be read in ascending order (${pos} < ${this.winStart})`);
    while (pos >= this.textEnd) {
      const next = await this.text.next().catch((err: unknown) => {
        throw sourceChanged(this.source, `it no longer decompresses (${err instanceof DiagnosticError ? err.diagnostics[0]!.message : (err as Error).message})`);
      });
      if (this.signal?.aborted) throw this.signal.reason ?? new Error('aborted');
      if (!next) throw sourceChanged(this.source, `its decompressed text ends before byte ${pos}`);
      this.win = next;
      this.winStart = this.textEnd;
      this.textEnd += next.length;
    }
  }
}

function sourceChanged(source: DatasetSource, what: string): DiagnosticError {
  return new DiagnosticError([
    {
      severity: 'error',
      message: `the source file changed since it was loaded: ${what}; run the load step again`,
      location: { file: source.path },
    },
  ]);
}
