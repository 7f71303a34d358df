/**
 * CRC-32 (the zip and gzip checksum) of a stored zip member's text.
 *
 * zlib.crc32 exists from Node 20.15 on (this project runs on Node 20 and later): it is used when
 * there, else a table-driven loop. Measured on 190 MB of text on this machine: zlib.crc32 0.32 s,
 * the table 0.53 s. A deflated member's CRC-32 is not computed here at all: zlib checks it
 * while it inflates (compressed-text.ts).
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Int32Array | undefined;

function makeTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** The table-driven CRC-32 (exported for the test that holds it to zlib's). */
export function tableCrc32(data: Uint8Array, value = 0): number {
  const t = (table ??= makeTable());
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

/** The CRC-32 of `data`, continuing from `value` (the CRC-32 of the bytes before it). */
export const crc32: Crc32 = native ?? tableCrc32;
