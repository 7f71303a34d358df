/**
 * What an input file holds, by its first bytes (whatever it is called): plain JSON text, gzip,
 * or a zip archive whose JSON member holds the text. Plain JSON never starts with these bytes.
 */
import { promises as fsp } from 'node:fs';

export type TextEncoding = 'plain' | 'gzip' | 'zip';

/** The encoding a file's first bytes (up to 4) announce. */
export function encodingOfHead(head: Uint8Array): TextEncoding {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  // A local file header (PK\3\4), or the end record of an empty archive (PK\5\6).
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
  return 'plain';
}

/** The encoding of the file at `path`. */
export async function fileEncoding(path: string): Promise<TextEncoding> {
  const fh = await fsp.open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return encodingOfHead(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}
