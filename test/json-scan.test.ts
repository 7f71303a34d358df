import { test } from 'node:test';
import { mulberry32 } from './helpers/seeded.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { verifyFile } from 'stream-json/file/verifier.js';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { readNumberField } from '../src/lvis/json/object-field.js';
import { numberEnd, readNumber, readShortDecimal } from '../src/lvis/json/read-values.js';
import { streamTopLevelArray } from '../src/lvis/json/top-level-array.js';

const dir = mkdtempSync(join(tmpdir(), 'json-scan-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function file(text: string | Buffer, ext = '.json'): string {
  const p = join(dir, `f${fileNo++}${ext}`);
  writeFileSync(p, text);
  return p;
}

const prng = mulberry32;

/** LVIS-style detections: polygon or RLE segmentation, a bbox, a score. */
function detections(n: number, seed: number): Record<string, unknown>[] {
  const r = prng(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const seg =
      r() < 0.5
        ? Array.from({ length: 1 + Math.floor(r() * 3) }, () => Array.from({ length: 6 + Math.floor(r() * 20) }, () => Math.round(r() * 64000) / 100))
        : { size: [480, 640], counts: `ab\\"c${Math.floor(r() * 1e6)}é\u0001` };
    out.push({
      image_id: 1 + Math.floor(r() * 500000),
      category_id: 1 + Math.floor(r() * 1203),
      bbox: [r() * 600, r() * 400, r() * 100, r() * 100],
      score: r(),
      segmentation: seg,
    });
  }
  return out;
}

async function collect(path: string, opts: Parameters<typeof streamTopLevelArray>[2] = {}) {
  const elements: { text: string; start: number; index: number }[] = [];
  const result = await streamTopLevelArray(path, (bytes, start, index) => elements.push({ text: bytes.toString('utf8'), start, index }), opts);
  return { elements, result };
}

async function diagnosticOf(promise: Promise<unknown>): Promise<DiagnosticError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof DiagnosticError, `expected a DiagnosticError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to throw');
}

test('streamTopLevelArray gives each element its exact bytes and offset, whatever the window size', async () => {
  const dets = detections(300, 1);
  // Irregular whitespace between elements, as a hand-edited or pretty-printed file has.
  const text = '\n [' + dets.map((d, i) => (i % 3 === 0 ? JSON.stringify(d, null, 2) : JSON.stringify(d))).join(' ,\n\t') + ']\r\n';
  const path = file(text);
  const bytes = Buffer.from(text, 'utf8');
  for (const windowBytes of [16, 1000, 4096, undefined]) {
    const { elements, result } = await collect(path, windowBytes === undefined ? {} : { windowBytes });
    assert.equal(result.count, dets.length);
    assert.equal(result.textBytes, bytes.length);
    assert.equal(elements.length, dets.length);
    elements.forEach((e, i) => {
      assert.equal(e.index, i);
      assert.deepEqual(JSON.parse(e.text), dets[i]);
      assert.equal(bytes.subarray(e.start, e.start + Buffer.byteLength(e.text)).toString('utf8'), e.text);
    });
  }
});

test('streamTopLevelArray reads .gz input, recognised by its content, with the offsets of the decompressed text', async () => {
  const dets = detections(200, 2);
  const text = JSON.stringify(dets);
  const plain = await collect(file(text));
  const gz = await collect(file(gzipSync(text), '.json.gz'), { windowBytes: 512 });
  const gzWithoutExt = await collect(file(gzipSync(text), '.json'));
  assert.deepEqual(gz, plain);
  assert.deepEqual(gzWithoutExt, plain);
  assert.equal(gz.result.textBytes, Buffer.byteLength(text));
});

test('streamTopLevelArray handles empty arrays, scalars, nested arrays and a byte-order mark', async () => {
  assert.deepEqual((await collect(file('[]'))).result, { count: 0, textBytes: 2 });
  assert.deepEqual((await collect(file(' [ ] '))).result.count, 0);
  const mixed = [1, -0.5, 'x', null, true, false, [], {}, [[1, 2], { a: [3] }], 1e-7, 'a\\"b'];
  const { elements } = await collect(file(JSON.stringify(mixed)));
  assert.deepEqual(elements.map((e) => JSON.parse(e.text)), mixed);
  const bom = await collect(file('\ufeff[{"a":1}]'));
  assert.equal(bom.elements[0]!.start, 4);
});

test('streamTopLevelArray reports progress on disk bytes and honours an abort signal', async () => {
  const text = JSON.stringify(detections(400, 3));
  const path = file(text);
  const seen: [number, number][] = [];
  await collect(path, { windowBytes: 4096, onProgress: (a, b) => seen.push([a, b]) });
  assert.ok(seen.length > 3);
  assert.deepEqual(seen.at(-1), [Buffer.byteLength(text), Buffer.byteLength(text)]);
  const ctl = new AbortController();
  ctl.abort();
  await assert.rejects(collect(path, { windowBytes: 4096, signal: ctl.signal }), { name: 'AbortError' });
});

test('an exception thrown by onElement stops the stream and reaches the caller unchanged', async () => {
  const path = file(JSON.stringify(detections(10, 4)));
  const boom = new Error('boom');
  await assert.rejects(
    streamTopLevelArray(path, (_b, _s, i) => {
      if (i === 5) throw boom;
    }),
    (err) => err === boom,
  );
});

test('a top level that is not an array is reported with the label, at line 1 col 1', async () => {
  const err = await diagnosticOf(collect(file('{"annotations": []}'), { label: 'detections' }));
  const d = err.diagnostics[0]!;
  assert.match(d.message, /expected a JSON array of detections at the top level, found an object/);
  assert.deepEqual([d.location?.line, d.location?.col, d.location?.offset], [1, 1, 0]);
  const empty = await diagnosticOf(collect(file(''), { label: 'detections' }));
  assert.match(empty.diagnostics[0]!.message, /expected a JSON array of detections at the top level, found an empty file/);
});

// Malformed documents: each error's byte offset and line:col must agree with stream-json's
// verifier (an independent implementation), and the message must say what was expected.
const malformed: [string, string, RegExp][] = [
  ['truncated element', '[{"a": [1, 2', /truncated/],
  ['truncated after comma', '[1, 2,\n  ', /truncated/],
  ['missing comma', '[1 2]', /expected ',' or ']'/],
  ['missing colon', '[{"a" 1}]', /expected ':'/],
  ['trailing comma', '[1,\n 2,\n]', /expected a JSON value/],
  ['two dots', '[\n  1.2.3\n]', /after the number 1\.2/],
  ['leading zero', '[01]', /after the number 0/],
  ['bare minus', '[-]', /expected a digit/],
  ['garbage in a polygon', '[{"segmentation": [[1.5, 2.5, x]]}]', /unexpected 'x', expected a JSON value/],
  ['bad literal', '[tru]', /unexpected 'tru\]'/],
  ['unterminated string', '[{"counts": "abc', /truncated/],
  ['garbage after the array', '[1]\n\nx', /after the top-level array/],
  ['unquoted key', '[{a: 1}]', /expected a '"' starting a key/],
];
for (const [name, text, message] of malformed) {
  test(`malformed JSON is located exactly: ${name}`, async () => {
    const path = file(text);
    const oracle = await verifyFile(path).then(
      () => assert.fail('stream-json accepted it'),
      (e: { line: number; pos: number; offset: number }) => e,
    );
    for (const windowBytes of [16, undefined]) {
      const err = await diagnosticOf(collect(path, windowBytes === undefined ? {} : { windowBytes }));
      const d = err.diagnostics[0]!;
      assert.match(d.message, message);
      assert.deepEqual(
        { offset: d.location?.offset, line: d.location?.line, col: d.location?.col },
        { offset: oracle.offset, line: oracle.line, col: oracle.pos },
      );
      assert.equal(err.exitCode, 1);
    }
  });
}

test('errors in gzip input carry offsets in the decompressed text', async () => {
  const err = await diagnosticOf(collect(file(gzipSync('[\n{"a": 1},\n{"a" 2}]'), '.gz')));
  assert.deepEqual([err.diagnostics[0]!.location?.line, err.diagnostics[0]!.location?.col, err.diagnostics[0]!.location?.offset], [3, 6, 17]);
  const broken = gzipSync(JSON.stringify(detections(50, 5))).subarray(0, 500);
  const gzErr = await diagnosticOf(collect(file(broken, '.gz')));
  assert.match(gzErr.message, /not a valid gzip file/);
});

test('columns count characters, not bytes, and long lines show the text around the error', async () => {
  const err = await diagnosticOf(collect(file('["é€", 1 2]')));
  const d = err.diagnostics[0]!;
  assert.equal(d.location?.offset, 12);
  assert.equal(d.location?.col, 10);
  assert.equal(d.sourceLine, '["é€", 1 2]');
  const long = '[' + JSON.stringify(detections(50, 6)).slice(1, -1) + ', 1 x]';
  const errLong = await diagnosticOf(collect(file(long)));
  const dl = errLong.diagnostics[0]!;
  assert.equal(dl.sourceLine, undefined);
  assert.match(dl.message, /near: …[^\n]*1 ⟨here⟩x\]/);
});

test('readNumberField reads a top-level member and ignores nested ones of the same name', () => {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o));
  assert.equal(readNumberField(b({ segmentation: { category_id: 5, counts: 'x' }, category_id: 3, score: 0.25 }), 'category_id'), 3);
  assert.equal(readNumberField(b({ segmentation: [[1, 2]], score: 0.125 }), 'score'), 0.125);
  assert.equal(readNumberField(b({ a: { score: 1 } }), 'score'), undefined);
  assert.equal(readNumberField(Buffer.from('{}'), 'score'), undefined);
  assert.equal(readNumberField(Buffer.from(' { "sc\\u006fre" : -2.5e-3 } '), 'score'), -0.0025);
  assert.throws(() => readNumberField(b({ category_id: '7' }), 'category_id'), /field "category_id" must be a number, found "7"/);
  assert.throws(() => readNumberField(b({ category_id: null }), 'category_id'), /category_id.*must be a number, found null/);
  assert.throws(() => readNumberField(Buffer.from('[1]'), 'score'), /expected a JSON object with a "score" field/);
  assert.throws(() => readNumberField(Buffer.from('{"a": 1, "score": '), 'score'), /score/);
});

test('numbers are read to the same double as JSON.parse', () => {
  const r = prng(7);
  const samples: string[] = ['0', '-0', '1', '-1', '0.1', '0.30000000000000004', '123456789012345678901234567890', '1e22', '1e23', '4.35', '1E-7', '2.5e+3', '9007199254740993', '0.000001', '-12.75e-2', '5e-324', '1.7976931348623157e308'];
  for (let i = 0; i < 20000; i++) {
    const kind = i % 4;
    if (kind === 0) samples.push(String(Math.round(r() * 1e6) / 100));
    else if (kind === 1) samples.push(String(r() * 10 ** Math.floor(r() * 40 - 20)));
    else if (kind === 2) samples.push((r() * 1000).toFixed(Math.floor(r() * 17)));
    else samples.push(`${Math.floor(r() * 1e6)}.${Math.floor(r() * 1e9)}e${Math.floor(r() * 60 - 30)}`);
  }
  for (const s of samples) {
    const bytes = Buffer.from(s + ',');
    assert.equal(Object.is(readNumber(bytes, 0, bytes.length), JSON.parse(s)), true, s);
  }
});

test('the short-decimal fast path gives the same double as JSON.parse, or NaN for the general reader', () => {
  const r = prng(11);
  const samples: string[] = ['0', '-0', '7', '-7', '0.5', '-0.5', '123.45', '999999999999999', '99999999999999.9', '0.000000000000001'];
  for (let i = 0; i < 20000; i++) samples.push((r() * 2000 - 1000).toFixed(Math.floor(r() * 8)), String(Math.round(r() * 1e7) / 100));
  let fast = 0;
  for (const s of samples) {
    for (const after of [',', ']', ' ']) {
      const bytes = Buffer.from(s + after + '9');
      const v = readShortDecimal(bytes, 0, bytes.length);
      if (Number.isNaN(v)) continue; // (more than 15 digits)
      fast++;
      assert.equal(Object.is(v, JSON.parse(s)), true, s);
      assert.equal(numberEnd, s.length, s);
    }
  }
  assert.ok(fast > 0.9 * 3 * samples.length, `the fast path took ${fast} of ${3 * samples.length}`);
  // Anything else is left to readNumber (which reads it, or says what is wrong): an exponent,
  // 16 digits, a leading zero, a bare sign or point, another byte after it, or the window's end
  // (what follows it there is not known yet).
  for (const s of ['1e5,', '1.5E-3,', '1234567890123456,', '01,', '-,', '1.,', '.5,', '12x', '12\n', '7']) {
    const bytes = Buffer.from(s);
    assert.ok(Number.isNaN(readShortDecimal(bytes, 0, bytes.length)), s);
  }
  const cut = Buffer.from('12,');
  assert.ok(Number.isNaN(readShortDecimal(cut, 0, 2)), 'a number at the end of the window');
});
