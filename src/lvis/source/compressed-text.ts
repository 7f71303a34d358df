/**
 * The text of a compressed input (a gzip file, or a zip archive's member), decompressed as it is
 * read, with no temporary file: chunks come out of `next()` in order. The file is read in 1 MiB
 * pieces; while the caller parses one chunk, the next pieces are already being decompressed on
 * zlib's thread (up to AHEAD bytes of text in hand).
 *
 * Every fault is a Diagnostic located at its true offset in the text (fault-offset.ts): a
 * damaged stream, a file cut short, a zip member whose CRC-32 or size does not match what the
 * archive records. A zip member's checks run at its end: `next()` returns `undefined` (the end)
 * only for text that passed them.
 *
 * With `onDiskBytes`, every byte of the file is handed over as it is read, in file order (the
 * load's hash of the file it reads): then the whole file is read, not only the member's range,
 * and `readRest()` reads what follows the member.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32.js';
import { textBeforeFault } from './fault-offset.js';
import { planLength, type InputPlan } from './input-plan.js';
import { PieceInflater } from './piece-inflater.js';
import { sourceError } from './source-error.js';

const PIECE = 1 << 20;
/** Text to decompress ahead of the caller. */
const AHEAD = 4 << 20;

export interface CompressedTextOptions {
  onDiskBytes?: (bytes: Buffer) => void;
}

export class CompressedText {
  /** Bytes of the file read so far, and how many it will read (the member's range, or the whole file when hashing). */
  diskRead = 0;
  readonly diskTotal: number;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  /** Text decompressed so far (handed out or queued). */
  private produced = 0;
  /** Position in the input plan fed so far, and in the file read so far. */
  private fed = 0;
  private filePos: number;
  private crc = 0;
  private finished = false;
  private failure: unknown;
  private pump: Promise<void> | undefined;
  private readonly z: PieceInflater | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly plan: InputPlan,
    private readonly fileSize: number,
    private readonly opts: CompressedTextOptions = {},
  ) {
    this.z = plan.mode === 'gunzip' ? new PieceInflater() : undefined;
    this.filePos = opts.onDiskBytes ? 0 : plan.start;
    this.diskTotal = opts.onDiskBytes ? fileSize : plan.end - plan.start;
  }

  /** The zip member the text comes from. */
  get member(): string | undefined {
    return this.plan.member?.name;
  }

  /** The next chunk of text, or undefined at its end (after the member's checks passed). */
  async next(): Promise<Buffer | undefined> {
    while (this.queue.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) return undefined;
      await this.pumpOnce();
    }
    const b = this.queue.shift()!;
    this.queued -= b.length;
    if (this.queued < AHEAD && !this.finished && this.failure === undefined && !this.pump) void this.pumpAhead();
    return b;
  }

  /** Reads the file past the member (for `onDiskBytes`: the hash of the whole file). */
  async readRest(): Promise<void> {
    while (this.filePos < this.fileSize) await this.readFile(this.fileSize);
  }

  async close(): Promise<void> {
    if (this.pump) await this.pump.catch(() => {});
    this.z?.destroy();
    await this.fh.close();
  }

  private pumpOnce(): Promise<void> {
    this.pump ??= this.step().finally(() => {
      this.pump = undefined;
    });
    return this.pump;
  }

  /** Decompresses ahead of the caller until AHEAD bytes are queued; a fault waits for `next()`. */
  private async pumpAhead(): Promise<void> {
    try {
      while (this.queued < AHEAD && !this.finished && this.failure === undefined) await this.pumpOnce();
    } catch (err) {
      this.failure = err;
    }
  }

  /** Feeds the decompressor one more piece of the plan (or ends it). */
  private async step(): Promise<void> {
    const { head, tail } = this.plan;
    const fileEnd = head.length + (this.plan.end - this.plan.start);
    if (this.fed < head.length) return this.feed(head.subarray(this.fed));
    if (this.fed < fileEnd) return this.feed(await this.readFile(this.plan.end));
    if (this.fed < fileEnd + tail.length) return this.feed(tail.subarray(this.fed - fileEnd));
    await this.finish();
  }

  /** The next piece of the file up to `until`, handed to `onDiskBytes`; returns its part inside the plan's range. */
  private async readFile(until: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(Math.min(PIECE, until - this.filePos));
    const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.filePos);
    if (bytesRead === 0) throw sourceError(this.path, `the file ended at byte ${this.filePos} while it was being read: did it change meanwhile?`);
    const piece = buf.subarray(0, bytesRead);
    this.opts.onDiskBytes?.(piece);
    const from = this.filePos;
    this.filePos += bytesRead;
    this.diskRead = this.filePos - (this.opts.onDiskBytes ? 0 : this.plan.start);
    return piece.subarray(Math.max(0, this.plan.start - from), Math.max(0, Math.min(bytesRead, this.plan.end - from)));
  }

  private async feed(piece: Buffer): Promise<void> {
    const at = this.fed;
    let out: Buffer[];
    if (this.z) {
      try {
        out = await this.z.write(piece);
      } catch (err) {
        throw await this.faultAt(at, at + piece.length, err as Error);
      }
    } else {
      out = [piece];
      this.crc = crc32(piece, this.crc);
    }
    this.fed += piece.length;
    this.take(out);
  }

  private take(out: Buffer[]): void {
    for (const b of out) {
      this.queue.push(b);
      this.queued += b.length;
      this.produced += b.length;
    }
    const m = this.plan.member;
    if (m && this.produced > m.size) {
      throw sourceError(this.path, `the member inflates to more than the ${m.size} bytes the archive records: the archive is damaged; download it again`, { member: m.name, offset: m.size });
    }
  }

  private async finish(): Promise<void> {
    if (this.z) {
      try {
        this.take(await this.z.end());
      } catch (err) {
        throw this.faultError(err as Error, this.produced);
      }
    }
    const m = this.plan.member;
    if (m && (this.produced !== m.size || (this.plan.mode === 'stored' && this.crc !== m.crc32))) {
      const what = this.produced !== m.size ? `its text has ${this.produced} bytes, the archive records ${m.size}` : `the CRC-32 of its text is ${hex(this.crc)}, the archive records ${hex(m.crc32)}`;
      throw sourceError(this.path, `the member is damaged: ${what}; download the archive again`, { member: m.name, offset: this.produced });
    }
    this.finished = true;
  }

  /** The error for zlib's `err` on the piece [lo, hi) of the plan, at the true text offset. */
  private async faultAt(lo: number, hi: number, err: Error): Promise<unknown> {
    const offset = await textBeforeFault(this.fh, this.plan, lo, Math.min(hi, planLength(this.plan)), this.produced);
    return this.faultError(err, offset);
  }

  private faultError(err: Error, offset: number): unknown {
    const m = this.plan.member;
    if (!m) return sourceError(this.path, `not a valid gzip file: ${err.message} (after ${offset} bytes of decompressed text)`, { offset });
    const what =
      err.message === 'incorrect data check'
        ? 'its text does not match the CRC-32 the archive records'
        : err.message === 'incorrect length check'
          ? `its text is not the ${m.size} bytes the archive records`
          : `its compressed data is damaged (${err.message}) after ${offset} bytes of its text`;
    return sourceError(this.path, `the member is damaged: ${what}; download the archive again`, { member: m.name, offset });
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
