/**
 * A one-member zip archive written here, for members larger than the committed fixtures (which
 * Info-ZIP and Python wrote: test/fixtures/zip/): local header, the raw deflate data given,
 * central directory, end record (APPNOTE 4.3.7, 4.3.12, 4.3.16). Used by tests and benchmarks.
 */
import { crc32 } from '../../src/lvis/source/crc32.js';

/** A one-member zip of `text` with the given raw deflate data (for members larger than a read piece). */
export function zipOf(name: string, text: Buffer, deflated: Buffer): Buffer {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc32(text), 14);
  local.writeUInt32LE(deflated.length, 18);
  local.writeUInt32LE(text.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc32(text), 16);
  central.writeUInt32LE(deflated.length, 20);
  central.writeUInt32LE(text.length, 24);
  central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(30 + n.length + deflated.length, 16);
  return Buffer.concat([local, n, deflated, central, n, end]);
}

