/**
 * The reader `write` and `prune-gt` copy records with: every byte range comes back exactly as
 * in the source, and a sparse subset reads a small part of the file (the read size adapts to
 * how much of each window is used), while a dense one reads it once in large blocks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SourceRangeReader } from '../src/lvis/write/source-ranges.js';
import type { DatasetSource } from '../src/lvis/dataset/dataset.js';

const dir = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-ranges-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// 40,000 annotation-like records of 300–700 bytes (~20 MB), with their byte ranges.
const ranges: [number, number][] = [];
const parts: string[] = ['{"annotations": ['];
let at = parts[0]!.length; // every byte is ASCII: string length = byte length
for (let i = 0; i < 40_000; i++) {
  const rec = JSON.stringify({ id: i + 1, image_id: (i * 7919) % 5000, bbox: [i % 640, i % 480, 20.5, 31.25], segmentation: [[1, 2, 3, 4]], pad: 'x'.repeat(300 + ((i * 37) % 400)) });
  if (i) {
    parts.push(', ');
    at += 2;
  }
  parts.push(rec);
  ranges.push([at, at + rec.length]);
  at += rec.length;
}
parts.push(']}');
const text = parts.join('');
const file = path.join(dir, 'train.json');
writeFileSync(file, text);
const bytes = Buffer.from(text);
const source: DatasetSource = { path: file, encoding: 'plain', textBytes: bytes.length, format: 'lvis', tiersDerived: false };

async function copyAll(picked: [number, number][]): Promise<{ out: Buffer; read: number }> {
  const reader = await SourceRangeReader.open(source);
  const parts: Buffer[] = [];
  const writer = {
    tryCopy(src: Buffer, s: number, e: number) {
      if ((s + e) % 3 === 0) return false; // some records take the async path
      parts.push(Buffer.from(src.subarray(s, e)));
      return true;
    },
  };
  try {
    for (const [s, e] of picked) {
      if (!reader.copyRecordSync(s, e, writer)) await reader.copyRecord(s, e, () => `record at ${s}`, (b) => void parts.push(Buffer.from(b)));
    }
    return { out: Buffer.concat(parts), read: reader.bytesRead };
  } finally {
    await reader.close();
  }
}

test('a sparse subset (2% of the records) is copied exactly and reads under a third of the file', async () => {
  const picked = ranges.filter((_, i) => (i * 2654435761) % 100 < 2);
  const { out, read } = await copyAll(picked);
  assert.ok(out.equals(Buffer.concat(picked.map(([s, e]) => bytes.subarray(s, e)))));
  assert.ok(read < bytes.length / 3, `read ${read} of ${bytes.length} bytes`);
});

test('a dense subset (every record) is copied exactly, reading the file about once', async () => {
  const { out, read } = await copyAll(ranges);
  assert.ok(out.equals(Buffer.concat(ranges.map(([s, e]) => bytes.subarray(s, e)))));
  assert.ok(read >= ranges.at(-1)![1] - ranges[0]![0] && read <= bytes.length * 1.05, `read ${read} of ${bytes.length} bytes`);
});

test('a sparse run then a dense run in one file: the read size grows back, the bytes stay exact', async () => {
  const picked = ranges.filter((_, i) => (i < 20_000 ? i % 97 === 0 : true));
  const { out, read } = await copyAll(picked);
  assert.ok(out.equals(Buffer.concat(picked.map(([s, e]) => bytes.subarray(s, e)))));
  assert.ok(read <= bytes.length * 0.75, `read ${read} of ${bytes.length} bytes`);
});

test('a range past the end of a file that shrank since it was loaded is a located error, not a crash', async () => {
  const reader = await SourceRangeReader.open(source);
  try {
    await assert.rejects(
      reader.copyRecord(bytes.length + 10, bytes.length + 20, () => 'annotation id 1', () => undefined),
      (err: Error) => /the source file changed since it was loaded: it ends before byte/.test(err.message),
    );
  } finally {
    await reader.close();
  }
});
