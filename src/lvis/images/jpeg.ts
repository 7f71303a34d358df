/**
 * Is a downloaded file the image the JSON describes? A whole JPEG (it starts with SOI and ends
 * with EOI; trailing zero padding is tolerated) whose frame header (SOF) gives the width and
 * height the JSON gives. Markers are walked, nothing is decoded (ITU T.81, B.1.1.3 and B.2.2).
 */

export interface JpegProblem {
  message: string;
  /** Whether fetching it again may help (a body cut short), or not (not a JPEG, another image). */
  retry: boolean;
}

/** SOF0–SOF15, but DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isFrameHeader(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

/** The frame size of the JPEG in `b`, or undefined when no frame header comes before the scan. */
export function jpegFrameSize(b: Uint8Array): { width: number; height: number } | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return undefined;
    const m = b[p + 1]!;
    if (m === 0xff) p++; // a fill byte
    else if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) p += 2; // markers without a length
    else if (m === 0xd9 || m === 0xda) return undefined; // the end, or the scan, before any frame header
    else if (isFrameHeader(m)) return p + 9 <= b.length ? { height: view.getUint16(p + 5), width: view.getUint16(p + 7) } : undefined;
    else p += 2 + view.getUint16(p + 2);
  }
  return undefined;
}

/** The first bytes of a file that is not a JPEG, as printable text (`<!DOCTYPE html>…`). */
function preview(b: Uint8Array): string {
  const text = Buffer.from(b.subarray(0, 24)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return JSON.stringify(text + (b.length > 24 ? '…' : ''));
}

/** Why `b` is not a whole JPEG of `width`×`height` (undefined when it is one). */
export function jpegProblem(b: Uint8Array, width: number, height: number): JpegProblem | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return { message: `not a JPEG: it starts with ${preview(b)}`, retry: false };
  let end = b.length;
  while (end > 2 && b[end - 1] === 0) end--;
  if (b[end - 2] !== 0xff || b[end - 1] !== 0xd9) return { message: 'a JPEG cut short (no end-of-image marker)', retry: true };
  const size = jpegFrameSize(b);
  if (!size) return { message: 'a JPEG without a frame header before its image data', retry: false };
  if (size.width !== width || size.height !== height) return { message: `a ${size.width}×${size.height} JPEG, where the JSON says ${width}×${height}`, retry: false };
  return undefined;
}
