/**
 * A zip archive's table of contents (APPNOTE.TXT 6.3.x, sections 4.3.12–4.3.16 and 4.5.3): the
 * end-of-central-directory record at the end of the file (after an optional comment of up to
 * 64 KiB), its zip64 variant when a count, size or offset does not fit in 16 or 32 bits, and
 * one central-directory entry per member, with the zip64 extra field where an entry needs it.
 * Read with positional reads: a zip's members can be found without reading them.
 */
import type { FileHandle } from 'node:fs/promises';
import { sourceError } from './source-error.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate, others unsupported (zip-member.ts names them). */
  method: number;
  /** General-purpose flags: bit 0 encrypted, bit 6 strong encryption, bit 11 UTF-8 name. */
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  /** The disk the member starts on (spanned archives: not 0). */
  disk: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const MAX_COMMENT = 0xffff;

interface Directory {
  entries: number;
  offset: number;
  size: number;
  disk: number;
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let n = 0;
  while (n < length) {
    const { bytesRead } = await fh.read(buf, n, length - n, position + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return buf.subarray(0, n);
}

/** A 64-bit little-endian count, which must be a safe integer (else the file is damaged). */
function u64(b: Buffer, at: number, path: string, what: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw sourceError(path, `not a valid zip file: its ${what} is ${v}, beyond any real file`);
  return Number(v);
}

/** Where the end-of-central-directory record starts in `tail` (the file's last bytes), or -1. */
function findEocd(tail: Buffer): number {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tail.length) return i;
  }
  return -1;
}

async function zip64Directory(fh: FileHandle, locatorAt: number, path: string): Promise<Directory> {
  const loc = await readAt(fh, locatorAt, 20);
  if (loc.length < 20 || loc.readUInt32LE(0) !== ZIP64_LOCATOR) throw sourceError(path, 'not a valid zip file: it says it is a zip64 archive but has no zip64 locator before its end record');
  const at = u64(loc, 8, path, 'zip64 end record offset');
  const rec = await readAt(fh, at, 56);
  if (rec.length < 56 || rec.readUInt32LE(0) !== ZIP64_EOCD) throw sourceError(path, `not a valid zip file: no zip64 end record at byte ${at}`);
  return { disk: rec.readUInt32LE(16), entries: u64(rec, 32, path, 'member count'), size: u64(rec, 40, path, 'directory size'), offset: u64(rec, 48, path, 'directory offset') };
}

/** The central directory's place: from the end record, or its zip64 variant. */
async function findDirectory(fh: FileHandle, fileSize: number, path: string): Promise<Directory> {
  const tailStart = Math.max(0, fileSize - (22 + MAX_COMMENT));
  const tail = await readAt(fh, tailStart, fileSize - tailStart);
  const i = findEocd(tail);
  if (i < 0) throw sourceError(path, 'not a valid zip file: no end-of-central-directory record (is the file cut short?)');
  const dir: Directory = { disk: tail.readUInt16LE(i + 6), entries: tail.readUInt16LE(i + 10), size: tail.readUInt32LE(i + 12), offset: tail.readUInt32LE(i + 16) };
  if (dir.entries === 0xffff || dir.size === 0xffffffff || dir.offset === 0xffffffff) return zip64Directory(fh, tailStart + i - 20, path);
  return dir;
}

/** Applies an entry's zip64 extra field (id 1): 64-bit values for the fields that hold all ones. */
function applyZip64Extra(e: ZipEntry, extra: Buffer, path: string): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      const next = (what: string) => {
        if (q + 8 > p + 4 + len) throw sourceError(path, `not a valid zip file: the zip64 field of member ${JSON.stringify(e.name)} lacks its ${what}`);
        const v = u64(extra, q, path, what);
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = next('size');
      if (e.compressedSize === 0xffffffff) e.compressedSize = next('compressed size');
      if (e.localHeaderOffset === 0xffffffff) e.localHeaderOffset = next('header offset');
      return;
    }
    p += 4 + len;
  }
}

function parseEntries(cd: Buffer, count: number, path: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw sourceError(path, `not a valid zip file: central directory entry ${k + 1} of ${count} is damaged`);
    const flags = cd.readUInt16LE(p + 8);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLen);
    const e: ZipEntry = {
      name: nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1'),
      method: cd.readUInt16LE(p + 10),
      flags,
      crc32: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
      disk: cd.readUInt16LE(p + 34),
    };
    applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), path);
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Every member of the zip archive open as `fh` (of `fileSize` bytes), in directory order. */
export async function readZipDirectory(fh: FileHandle, fileSize: number, path: string): Promise<ZipEntry[]> {
  const dir = await findDirectory(fh, fileSize, path);
  if (dir.disk !== 0) throw sourceError(path, 'is part of a zip archive split over several files (disks), which lvis-pipe does not read: join the parts (`zip -s 0 in.zip --out whole.zip`) or unzip it');
  if (dir.offset + dir.size > fileSize) throw sourceError(path, `not a valid zip file: its central directory (bytes ${dir.offset}..${dir.offset + dir.size}) lies past its end (${fileSize} bytes; is it cut short?)`);
  const cd = await readAt(fh, dir.offset, dir.size);
  return parseEntries(cd, dir.entries, path);
}
