/**
 * A byte-level JSON scanner for files far larger than a V8 string (the 1 GB LVIS train file).
 *
 * Why hand-written (figures in BENCHMARKS.md, "load", measured on the first 50 MB of the
 * synthetic LVIS train annotations): stream-json (v3) is the right tool for small documents, but
 * on LVIS-shaped data its tokenizer emits a token for every number of every segmentation polygon
 * and runs at ~4.5 MB/s, ~3.4 MB/s when it also assembles each annotation object: minutes for
 * LVIS train, slower than Python's json.load (~11–20 MB/s here), which `load` must beat 20x.
 * Downstream steps need a handful of fields per record plus the record's byte range, so this
 * module walks the UTF-8 bytes directly: it checks the JSON grammar (numbers, strings, escapes,
 * commas, nesting) while skipping values it does not need without building strings or numbers
 * for them, and it never materialises more than one record at a time. Even a JS loop that only
 * tracks depth and strings tops out at ~100–400 MB/s on this machine, so the polygons (80–90% of
 * the bytes) are skipped with Buffer.indexOf instead of byte by byte (see "Fast skipping").
 * Every syntax error is reported with its exact byte offset; line:col is computed lazily, only
 * when an error is reported.
 *
 * Parsing functions here work on a window (`buf[0 .. end)`) of the decompressed text. When a
 * function reaches `end` before the value it is reading is complete it throws `NEED_MORE`; the
 * driver then refills the window, keeping the bytes from the start of the current record, and
 * restarts that record. Records are small compared with the window, so restarts are rare.
 */
import type { FileHandle } from 'node:fs/promises';
import { passHash, type PassHash } from '../../base/pass-hash.js';
import type { CompressedText } from '../source/compressed-text.js';
import type { TextEncoding } from '../source/encoding.js';
import { compressedText, openSourceFile } from '../source/source-file.js';
import { resetScanCache } from './fast-skip.js';

/** Read buffers a window may use while its bytes are hashed on another thread. */
const HASH_BUFFERS = 4;

/**
 * A window over the text of a file (plain, or decompressed from gzip or a zip's JSON member:
 * src/lvis/source/): `buf[start .. len)` holds the text from
 * absolute offset `base + start` (`base` is the absolute offset of `buf[0]`), and `buf[len]`
 * is a NUL byte, which no JSON token contains: a scan loop can run without checking `len`.
 * The one window every reader of large JSON uses (load's scan, prune-preds' fast scan).
 *
 * `refill(keepFrom)` keeps `buf[keepFrom .. len)` and appends more text after it, returning the
 * kept bytes' new index. Plain files are read ahead: while the caller parses one buffer, the
 * next chunk is already being read (on libuv's thread pool) into a second buffer, just after a
 * reserved front area; on refill the few kept bytes of an unfinished record are copied into
 * that front area and the buffers swap, so reading costs the parsing thread nothing. A record
 * larger than the front area (rare: a huge `info` member) moves to a bigger one-off buffer.
 */
export class ByteWindow {
  buf: Buffer;
  len = 0;
  base = 0;
  eof = false;
  /** Bytes of the file on disk read so far, and its size (compressed sizes for gzip and zip). */
  diskBytesRead = 0;
  diskBytes: number;
  readonly encoding: TextEncoding;
  private fh: FileHandle | undefined;
  /** Compressed files: their text, decompressed as it is read. */
  private text: CompressedText | undefined;
  private pending: Buffer | undefined;
  /** Plain files: the other buffer, the read in flight into it, and the file position after it. */
  private spare: Buffer | undefined;
  private ahead: Promise<number> | undefined;
  private filePos = 0;
  private readonly chunk: number;
  private readonly reserve: number;
  /** With `hash`: the sha256 of the file's bytes on disk, fed as they are read. */
  private readonly hash: PassHash | undefined;
  /** With `hash`: every read buffer (`buf`, `spare` and those readTarget adds). */
  private readonly pool: Buffer[] = [];

  private constructor(
    readonly path: string,
    fh: FileHandle,
    size: number,
    encoding: TextEncoding,
    windowBytes: number,
    hash: boolean,
  ) {
    this.fh = fh;
    this.diskBytes = size;
    this.encoding = encoding;
    this.chunk = Math.max(16, windowBytes);
    this.reserve = Math.max(16, Math.min(1 << 20, this.chunk >> 3));
    // Compressed files are hashed here (their bytes are few next to the text); plain files
    // of some size on a thread of its own, from the buffers the window reads into.
    this.hash = hash ? passHash(encoding !== 'plain' ? 0 : size) : undefined;
    this.buf = this.alloc(this.reserve + this.chunk + 1);
  }

  /** Whether the text is decompressed as it is read (gzip or zip): it can then only be read from its start. */
  get compressed(): boolean {
    return this.encoding !== 'plain';
  }

  /** The zip member the text is in (zip files only). */
  member: string | undefined;

  /**
   * Opens `path`; gzip and zip are recognised by their first bytes, whatever the file is called
   * (src/lvis/source/source-file.ts). A plain file can be read from `startOffset` on. With
   * `hash`, the window also computes the sha256 of the file's bytes on disk (all of a zip's) as
   * it reads them: see `digest()`.
   */
  static async open(path: string, windowBytes = 8 << 20, startOffset = 0, hash = false): Promise<ByteWindow> {
    const f = await openSourceFile(path);
    if ((f.encoding !== 'plain' || hash) && startOffset !== 0) {
      await f.fh.close();
      throw new Error(`ByteWindow: ${f.encoding !== 'plain' ? 'a compressed file can only be read from its start' : 'a file is hashed only when read from its start'}`); // a bug: callers check
    }
    const w = new ByteWindow(path, f.fh, f.size, f.encoding, windowBytes, hash);
    if (startOffset !== 0) w.base = w.filePos = w.diskBytesRead = startOffset;
    if (f.plan) {
      w.fh = undefined;
      const h = w.hash;
      w.text = compressedText(f, h ? { onDiskBytes: (b) => h.update(b, 0, b.length) } : {});
      w.diskBytes = w.text.diskTotal;
      w.member = w.text.member;
    }
    return w;
  }

  /** Keeps `buf[keepFrom .. len)` and reads more text after it; returns the kept bytes' new index. */
  async refill(keepFrom: number): Promise<number> {
    const start = await this.refillBytes(keepFrom);
    this.buf[this.len] = 0; // the stop byte: no JSON token contains NUL, so scan loops end here
    return start;
  }

  private async refillBytes(keepFrom: number): Promise<number> {
    resetScanCache();
    if (this.text) {
      this.keepAtFront(keepFrom);
      await this.readCompressed();
      return 0;
    }
    const keep = this.len - keepFrom;
    const absKeep = this.base + keepFrom;
    if (!this.ahead) this.ahead = this.readAhead(this.spareFor(this.chunk));
    const n = await this.ahead;
    this.ahead = undefined;
    const next = this.spare!;
    let start: number;
    if (keep <= this.reserve) {
      start = this.reserve - keep;
      this.buf.copy(next, start, keepFrom, this.len);
      this.spare = this.buf;
      this.buf = next;
      this.len = this.reserve + n;
    } else {
      // A long record: one buffer holding the kept bytes and the chunk just read.
      const big = Buffer.allocUnsafe(keep + n + 1);
      this.buf.copy(big, 0, keepFrom, this.len);
      next.copy(big, keep, this.reserve, this.reserve + n);
      this.spare = next;
      this.buf = big;
      start = 0;
      this.len = keep + n;
    }
    this.base = absKeep - start;
    if (n === 0) this.eof = true;
    else this.ahead = this.readAhead(this.spare);
    return start;
  }

  private spareFor(size: number): Buffer {
    if (!this.spare || this.spare.length < this.reserve + size + 1) this.spare = this.alloc(this.reserve + size + 1);
    return this.spare;
  }

  private alloc(size: number): Buffer {
    if (!this.hash) return Buffer.allocUnsafe(size);
    const b = this.hash.alloc(size);
    this.pool.push(b);
    return b;
  }

  /**
   * Hashing: the buffer to read the next chunk into instead of `into` when the hashing thread
   * still reads `into` (it lags behind now and then, where the scan runs fastest): one it is
   * done with, or a new one, up to HASH_BUFFERS; becomes `spare`. Only when all are in use does
   * the read wait.
   */
  private readTarget(into: Buffer): Buffer {
    const hash = this.hash!;
    if (hash.isReleased(into)) return into;
    const size = this.reserve + this.chunk + 1;
    let free = this.pool.find((b) => b !== into && b !== this.buf && b.length === size && hash.isReleased(b));
    if (!free && this.pool.length < HASH_BUFFERS) free = this.alloc(size);
    if (!free) return into;
    this.spare = free;
    return free;
  }

  /** Reads the next chunk of the file into `into[reserve ..]`; resolves to the byte count. */
  private async readAhead(into: Buffer): Promise<number> {
    const fh = this.fh!;
    if (this.hash) into = this.readTarget(into);
    // The hashing thread may still be reading this buffer's last chunk.
    // (Checked without awaiting when it is free, so that the read starts now, not after the
    // caller has parsed the whole current buffer.)
    if (this.hash && !this.hash.isReleased(into)) await this.hash.released(into);
    let n = 0;
    while (n < this.chunk) {
      const { bytesRead } = await fh.read(into, this.reserve + n, this.chunk - n, this.filePos);
      if (bytesRead === 0) break;
      this.hash?.update(into, this.reserve + n, this.reserve + n + bytesRead);
      n += bytesRead;
      this.filePos += bytesRead;
    }
    this.diskBytesRead = this.filePos;
    return n;
  }

  /**
   * The sha256 of the whole file on disk (opened with `hash`), from the bytes the window read;
   * any bytes the caller did not need are read (and only hashed) first.
   */
  async digest(): Promise<string> {
    const hash = this.hash;
    if (!hash) throw new Error('ByteWindow.digest: the window was not opened with `hash`');
    if (this.text) {
      while ((await this.text.next()) !== undefined) {
        // the rest of the text: only the file's bytes matter here
      }
      await this.text.readRest();
    } else {
      while (!this.eof) {
        const n = await (this.ahead ?? this.readAhead(this.spareFor(this.chunk)));
        this.ahead = n === 0 ? undefined : this.readAhead(this.spareFor(this.chunk));
        if (n === 0) this.eof = true;
      }
    }
    return hash.digest();
  }

  /** Compressed files: moves `buf[keepFrom .. len)` to `buf[0 ..]`, growing the buffer if the kept part fills half of it. */
  private keepAtFront(keepFrom: number): void {
    const keep = this.len - keepFrom;
    if (keep > (this.buf.length - 1) / 2) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, keepFrom, this.len);
      this.buf = bigger;
    } else if (keepFrom > 0 && keep > 0) {
      this.buf.copy(this.buf, 0, keepFrom, this.len);
    }
    this.base += keepFrom;
    this.len = keep;
  }

  private async readCompressed(): Promise<void> {
    const text = this.text!;
    while (this.len < this.buf.length - 1) {
      let chunk = this.pending;
      this.pending = undefined;
      if (!chunk) {
        chunk = await text.next();
        this.diskBytesRead = text.diskRead;
        if (!chunk) {
          this.eof = true;
          return;
        }
      }
      const room = this.buf.length - 1 - this.len;
      if (chunk.length > room) {
        chunk.copy(this.buf, this.len, 0, room);
        this.pending = chunk.subarray(room);
        this.len += room;
      } else {
        chunk.copy(this.buf, this.len);
        this.len += chunk.length;
      }
    }
  }

  async close(): Promise<void> {
    if (this.ahead) await this.ahead.catch(() => 0);
    this.ahead = undefined;
    await this.hash?.close();
    if (this.fh) await this.fh.close();
    this.fh = undefined;
    await this.text?.close();
    this.text = undefined;
  }
}
