/**
 * The bytes a compressed input feeds its decompressor, as one sequence: a range of the file
 * between an optional head and tail. A gzip file is all of itself. A zip member's deflate data
 * is wrapped in a gzip header and a trailer holding the CRC-32 and size the archive records, so
 * that zlib checks both as it inflates, on its own thread (a deflate stream has no checksum of
 * its own). A stored member's bytes are the text; its CRC-32 is computed as they pass.
 */
import type { FileHandle } from 'node:fs/promises';
import { DEFLATED, type MemberData } from './zip-member.js';

export interface InputPlan {
  mode: 'gunzip' | 'stored';
  head: Buffer;
  /** The file's bytes [start, end). */
  start: number;
  end: number;
  tail: Buffer;
  /** A zip member: its name, and the size and CRC-32 of its text. */
  member?: { name: string; size: number; crc32: number };
}

/** A gzip header: deflate, no flags, no time, unknown OS. */
const GZIP_HEAD = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

export function gzipPlan(fileSize: number): InputPlan {
  return { mode: 'gunzip', head: Buffer.alloc(0), start: 0, end: fileSize, tail: Buffer.alloc(0) };
}

export function zipPlan(m: MemberData): InputPlan {
  const member = { name: m.entry.name, size: m.entry.size, crc32: m.entry.crc32 };
  if (m.entry.method !== DEFLATED) return { mode: 'stored', head: Buffer.alloc(0), start: m.start, end: m.end, tail: Buffer.alloc(0), member };
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(m.entry.crc32, 0);
  tail.writeUInt32LE(m.entry.size % 2 ** 32, 4); // gzip's ISIZE is the size modulo 2^32
  return { mode: 'gunzip', head: GZIP_HEAD, start: m.start, end: m.end, tail, member };
}

/** Length of the whole sequence. */
export function planLength(p: InputPlan): number {
  return p.head.length + (p.end - p.start) + p.tail.length;
}

/** Bytes [from, to) of the sequence (positions past the head map into the file, then the tail). */
export async function readPlan(fh: FileHandle, p: InputPlan, from: number, to: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(Math.max(0, to - from));
  let at = 0;
  const fileLen = p.end - p.start;
  for (let v = from; v < to; ) {
    if (v < p.head.length) {
      const n = Math.min(to, p.head.length) - v;
      p.head.copy(out, at, v, v + n);
      v += n;
      at += n;
    } else if (v < p.head.length + fileLen) {
      const off = v - p.head.length;
      const n = Math.min(to - v, fileLen - off);
      const { bytesRead } = await fh.read(out, at, n, p.start + off);
      if (bytesRead === 0) throw new Error(`the file ends before byte ${p.start + off}`);
      v += bytesRead;
      at += bytesRead;
    } else {
      const off = v - p.head.length - fileLen;
      const n = Math.min(to - v, p.tail.length - off);
      p.tail.copy(out, at, off, off + n);
      v += n;
      at += n;
    }
  }
  return out;
}
