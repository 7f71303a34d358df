/**
 * Minimal JPEG files for the images tests: SOI, an APP0 (JFIF) and COM segments of filler (the
 * file's size), an SOF0 frame header with the dimensions, EOI. Enough for the images step's
 * check (it walks markers and never decodes); no image library needed.
 */
function segment(marker: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0xff;
  head[1] = marker;
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

/** A JPEG of `width`×`height` of about `bytes` bytes (filler seeded by the dimensions). */
export function makeJpeg(width: number, height: number, bytes = 2000): Buffer {
  const jfif = Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const filler: Buffer[] = [];
  let left = Math.max(0, bytes - 40);
  let seed = (width * 7919 + height) >>> 0;
  while (left > 0) {
    const n = Math.min(left, 60000);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    filler.push(segment(0xfe, b));
    left -= n;
  }
  const sof = Buffer.alloc(15);
  sof[0] = 8;
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  sof[5] = 3;
  for (let c = 0; c < 3; c++) sof.set([c + 1, 0x11, 0], 6 + 3 * c);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), segment(0xe0, jfif), ...filler, segment(0xc0, sof), Buffer.from([0xff, 0xd9])]);
}
