/**
 * Issue 24, item 12: a damaged gzip file is reported with the true number of bytes of text it
 * decompressed to before the damage, not the end of the last chunk the decompressor handed over.
 *
 * The oracle is zlib itself, through another door: `gunzipSync(prefix, { finishFlush:
 * Z_SYNC_FLUSH })` returns all the text a prefix of the compressed bytes decodes to, and throws
 * when the prefix holds the damage; the longest prefix that does not throw decodes to exactly
 * the text before the fault.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, deflateRawSync, gzipSync, gunzipSync } from 'node:zlib';
import { crc32 } from '../src/lvis/source/crc32.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';
import { loadDataset } from '../src/lvis/load/load.js';
import { diagnosticOf, tempFile } from './load-helpers.js';
import { mulberry32 } from './helpers/seeded.js';

/** ~3.2 MB of detections with random numbers: compresses ~2x, so the text spans several decompressor chunks. */
function detectionsText(): string {
  const r = mulberry32(26);
  const parts: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const poly = Array.from({ length: 24 }, () => Math.round(r() * 64000) / 100);
    parts.push(JSON.stringify({ image_id: 1 + Math.floor(r() * 5000), category_id: 1 + Math.floor(r() * 1203), bbox: [r() * 600, r() * 400, r() * 99, r() * 99], score: r(), segmentation: [poly] }));
  }
  return `[${parts.join(',\n')}]`;
}

/** Text bytes the longest error-free prefix of `gz` decodes to (binary search over prefixes). */
function textBeforeFault(gz: Buffer): number {
  const decodes = (n: number) => {
    try {
      return gunzipSync(gz.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH }).length;
    } catch {
      return -1;
    }
  };
  let lo = 0; // decodes
  let hi = gz.length + 1; // does not (or past the end)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (decodes(mid) >= 0) lo = mid;
    else hi = mid;
  }
  return decodes(lo);
}

const text = detectionsText();
const gz = gzipSync(text, { level: 6 });

/**
 * Gzip bytes of `text` whose deflate stream has a byte-aligned block boundary at text offset
 * `cut` (a full flush), with the next block's type set to the reserved value 3: zlib stops there
 * with "invalid block type" after exactly `cut` bytes of text.
 */
function reservedBlockAt(text: string, cut: number): Buffer {
  const bytes = Buffer.from(text);
  const first = deflateRawSync(bytes.subarray(0, cut), { finishFlush: constants.Z_FULL_FLUSH });
  const second = Buffer.from(deflateRawSync(bytes.subarray(cut)));
  second[0] = second[0]! | 0b110; // BTYPE (bits 1-2) = 11
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(bytes), 0);
  trailer.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), first, second, trailer]);
}

/** `gz` of stored blocks (level 0) with the length field of a block in the middle broken. */
function brokenStoredBlock(stored: Buffer): Buffer {
  for (let at = Math.floor(stored.length / 2); at < stored.length - 5; at++) {
    const len = stored.readUInt16LE(at + 1);
    if (stored[at] === 0 && len > 1000 && (len ^ stored.readUInt16LE(at + 3)) === 0xffff) {
      const b = Buffer.from(stored);
      b[at + 3] = b[at + 3]! ^ 1;
      return b;
    }
  }
  throw new Error('no stored block header found');
}

const CUT = 2_345_678;

test('the oracle agrees with a fault whose place is known by construction', () => {
  assert.equal(textBeforeFault(reservedBlockAt(text, CUT)), CUT);
});

const cases: [string, Buffer][] = [
  ['a reserved block type in the middle', reservedBlockAt(text, CUT)],
  ['a stored block with a bad length', brokenStoredBlock(gzipSync(text, { level: 0 }))],
  ['a file cut short', gz.subarray(0, Math.floor(gz.length * 0.7))],
  ['a bad CRC in the trailer', Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.from([1, 2, 3, 4]), gz.subarray(gz.length - 4)])],
];

for (const [name, bytes] of cases) {
  test(`gzip: ${name} is reported at the true text offset of the fault`, async () => {
    const expected = textBeforeFault(bytes);
    assert.ok(expected > 0 && expected <= Buffer.byteLength(text), `the oracle found ${expected} of ${Buffer.byteLength(text)}`);
    const path = tempFile(bytes, '.json.gz');
    const err = await diagnosticOf(streamTopLevelArray(path, () => {}, { label: 'detections' }));
    const d = err.diagnostics[0]!;
    // A cut file may also end inside a value: then the JSON reader says so first, at the end of the text.
    if (/truncated/.test(d.message) && !/gzip/.test(d.message)) {
      assert.equal(d.location?.offset, expected);
      return;
    }
    assert.match(d.message, /not a valid gzip file/);
    assert.equal(d.location?.offset, expected, d.message);
    assert.match(d.message, new RegExp(`after ${expected} bytes of decompressed text`));
  });
}

test('gzip: the load step reports the same true offset', async () => {
  const doc = `{"images": [], "categories": [], "annotations": ${text}}`;
  const bytes = reservedBlockAt(doc, CUT);
  const expected = CUT;
  const err = await diagnosticOf(loadDataset(tempFile(bytes, '.json.gz')));
  assert.equal(err.diagnostics[0]!.location?.offset, expected, err.message);
});
