/**
 * Opening an input file for its JSON text: plain, gzip or zip, recognised by its first bytes.
 * The readers of large JSON (json/byte-window.ts) and the writers that copy records by their
 * byte ranges (write/source-ranges.ts) open their files here, so each of them reads every
 * encoding the same way.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { DiagnosticError } from '../../base/diagnostic.js';
import { displayPath } from '../../base/display-path.js';
import { CompressedText, type CompressedTextOptions } from './compressed-text.js';
import { encodingOfHead, type TextEncoding } from './encoding.js';
import { gzipPlan, zipPlan, type InputPlan } from './input-plan.js';
import { readZipDirectory } from './zip-directory.js';
import { checkReadable, jsonMember, memberData } from './zip-member.js';

export interface SourceFile {
  path: string;
  fh: FileHandle;
  /** Size of the file on disk. */
  size: number;
  encoding: TextEncoding;
  /** Compressed inputs: what to feed the decompressor. */
  plan?: InputPlan;
}

/** Opens `path`; a Diagnostic when it cannot be read, is not a regular file, or is a zip lvis-pipe cannot read. */
export async function openSourceFile(path: string): Promise<SourceFile> {
  let fh: FileHandle;
  try {
    fh = await fsp.open(path, 'r');
  } catch (err) {
    throw new DiagnosticError([{ severity: 'error', message: `cannot read ${displayPath(path)}: ${(err as Error).message}` }]);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new DiagnosticError([{ severity: 'error', message: `cannot read ${displayPath(path)}: ${st.isDirectory() ? 'it is a folder, not a file' : 'it is not a regular file'}` }]);
    }
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const encoding = encodingOfHead(head.subarray(0, bytesRead));
    const plan = encoding === 'gzip' ? gzipPlan(st.size) : encoding === 'zip' ? await zipMemberPlan(fh, st.size, path) : undefined;
    return { path, fh, size: st.size, encoding, ...(plan ? { plan } : {}) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function zipMemberPlan(fh: FileHandle, size: number, path: string): Promise<InputPlan> {
  const entry = jsonMember(await readZipDirectory(fh, size, path), path);
  checkReadable(entry, path);
  return zipPlan(await memberData(fh, entry, size, path));
}

/** The text of a compressed source file, decompressed as it is read; it owns the file handle from then on. */
export function compressedText(f: SourceFile, opts: CompressedTextOptions = {}): CompressedText {
  if (!f.plan) throw new Error(`compressedText: ${f.path} is not compressed`); // a bug: callers check
  return new CompressedText(f.fh, f.path, f.plan, f.size, opts);
}
