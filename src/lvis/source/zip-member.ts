/**
 * Which member of a zip archive holds the JSON text, and whether lvis-pipe can read it: exactly
 * one member whose name ends in `.json` (macOS resource forks and folders aside), not
 * encrypted, stored or deflated, on the archive's one disk. Each fault is a Diagnostic that
 * names the members or the fault, and what to do.
 */
import type { FileHandle } from 'node:fs/promises';
import { sourceError } from './source-error.js';
import type { ZipEntry } from './zip-directory.js';

export const STORED = 0;
export const DEFLATED = 8;

/** Compression methods by number (APPNOTE 4.4.5), for the message about an unsupported one. */
const METHOD_NAMES: Record<number, string> = { 1: 'Shrink', 6: 'Implode', 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'xz', 98: 'PPMd', 99: 'AES encryption' };

const LOCAL = 0x04034b50;

/** Where a member's compressed bytes lie in the file. */
export interface MemberData {
  entry: ZipEntry;
  start: number;
  end: number;
}

function isFile(e: ZipEntry): boolean {
  const base = e.name.split('/').pop()!;
  return !e.name.endsWith('/') && !e.name.startsWith('__MACOSX/') && !base.startsWith('._');
}

function listNames(entries: ZipEntry[], max = 8): string {
  const shown = entries.slice(0, max).map((e) => JSON.stringify(e.name));
  return entries.length > max ? `${shown.join(', ')} and ${entries.length - max} more` : shown.join(', ');
}

/** The member holding the JSON text; a Diagnostic when there is none, or more than one. */
export function jsonMember(entries: ZipEntry[], path: string): ZipEntry {
  const files = entries.filter(isFile);
  const json = files.filter((e) => /\.json$/i.test(e.name));
  if (json.length === 1) return json[0]!;
  if (json.length > 1) {
    throw sourceError(path, `holds ${json.length} JSON members (${listNames(json)}); lvis-pipe reads a zip with one. Extract the one you mean (\`unzip -p ARCHIVE MEMBER > file.json\`) and give its path`);
  }
  const what = files.length ? `it holds ${listNames(files)}` : 'it is empty';
  throw sourceError(path, `holds no JSON member (a name ending in .json): ${what}`);
}

/** A Diagnostic when the member is encrypted or compressed in a way lvis-pipe does not read. */
export function checkReadable(e: ZipEntry, path: string): void {
  const at = { member: e.name };
  if (e.flags & 0x41 || e.method === 99) {
    throw sourceError(path, 'the member is encrypted: lvis-pipe cannot decrypt it. Unzip it with its password (`unzip ARCHIVE`) and give the JSON file', at);
  }
  if (e.method !== STORED && e.method !== DEFLATED) {
    const name = METHOD_NAMES[e.method] ?? `method ${e.method}`;
    throw sourceError(path, `the member is compressed with ${name} (method ${e.method}); lvis-pipe reads stored and deflated members. Unzip it, or zip it again with deflate (\`zip -Z deflate\`)`, at);
  }
  if (e.disk !== 0) throw sourceError(path, 'the member starts on another part of a split archive; join the parts (`zip -s 0 in.zip --out whole.zip`)', at);
}

/** Where the member's compressed bytes are: after its local header (whose name and extra field lengths may differ from the directory's). */
export async function memberData(fh: FileHandle, e: ZipEntry, fileSize: number, path: string): Promise<MemberData> {
  const head = Buffer.alloc(30);
  const { bytesRead } = await fh.read(head, 0, 30, e.localHeaderOffset);
  if (bytesRead < 30 || head.readUInt32LE(0) !== LOCAL) throw sourceError(path, `not a valid zip file: no local header at byte ${e.localHeaderOffset}, where the directory puts the member`, { member: e.name });
  const start = e.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const end = start + e.compressedSize;
  if (end > fileSize) throw sourceError(path, `not a valid zip file: the member's ${e.compressedSize} compressed bytes run past the end of the file (is it cut short?)`, { member: e.name });
  return { entry: e, start, end };
}
