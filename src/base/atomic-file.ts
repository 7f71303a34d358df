/**
 * Writes a small file whole, atomically: to a temp file beside it, then a rename, so a crash
 * or Ctrl-C leaves the old file or the new one, never half of one; the temp file is removed if
 * anything fails. (Large outputs are streamed instead: src/lvis/write-file.ts, synth-io.ts.)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { noteWrite } from './fs-problems.js';

export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw noteWrite(err, tmp, typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength);
  }
}
