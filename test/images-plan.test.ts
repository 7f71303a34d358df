/**
 * The images step's domain parts on their own: where an image goes (coco_url → split/file,
 * plain names only), the image records of real LVIS/COCO files (plain, gzip, zip), the URL
 * manifest, and the JPEG check (whole file, frame size) that downloads pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { jpegFrameSize, jpegProblem } from '../src/lvis/images/jpeg.js';
import { baseUrl, manifestText } from '../src/lvis/images/manifest.js';
import { imagePathOf, nameProblem } from '../src/lvis/images/names.js';
import { distinctImages, imageList } from '../src/lvis/images/plan.js';
import { readImageRecords } from '../src/lvis/images/read-images.js';
import { makeJpeg } from './helpers/jpeg.js';
import { diagnosticOf, tempFile } from './load-helpers.js';

const REAL = new URL('../../test/fixtures/real/', import.meta.url).pathname;
const ZIP = new URL('../../test/fixtures/zip/', import.meta.url).pathname;

test('coco_url → split folder and file, as detectron2 and mmdetection take them', () => {
  assert.deepEqual(imagePathOf('http://images.cocodataset.org/train2017/000000391895.jpg'), { split: 'train2017', file: '000000391895.jpg' });
  assert.deepEqual(imagePathOf('https://mirror.example/coco/val2017/000000000139.jpg'), { split: 'val2017', file: '000000000139.jpg' });
  for (const bad of ['000000391895.jpg', 'http://images.cocodataset.org/000000391895.jpg', 'train2017/x.jpg']) {
    assert.ok('problem' in imagePathOf(bad), bad);
  }
});

test('a plain name: not empty, no dot first, no slash, backslash or control byte, at most 255 bytes', () => {
  assert.equal(nameProblem('000000391895.jpg'), undefined);
  assert.equal(nameProblem('with space and é.jpg'), undefined);
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['.', /is "\."/],
    ['..', /is "\.\."/],
    ['.hidden', /starts with a dot/],
    ['a/b', /slash/],
    ['a\\b', /backslash/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['a\u007fb', /control/],
    ['é'.repeat(128), /255 bytes/],
  ];
  for (const [name, why] of bad) assert.match(nameProblem(name) ?? '', why, JSON.stringify(name));
});

test('the images of real LVIS and COCO files, plain, gzip and zip', async () => {
  const lvis = await readImageRecords(REAL + 'lvis_val_100.json');
  const parsed = JSON.parse(readFileSync(REAL + 'lvis_val_100.json', 'utf8')) as { images: { id: number; coco_url: string; width: number; height: number }[] };
  assert.deepEqual(
    lvis.map((r) => [r.id, r.cocoUrl, r.width, r.height]),
    parsed.images.map((i) => [i.id, i.coco_url, i.width, i.height]),
  );
  const gz = await readImageRecords(tempFile(gzipSync(readFileSync(REAL + 'lvis_val_100.json')), '.json.gz'));
  assert.deepEqual(gz, lvis);
  // A window far smaller than the annotations array: it is walked record by record, not held whole.
  assert.deepEqual(await readImageRecords(REAL + 'lvis_val_100.json', undefined, 4096), lvis);
  const coco = await readImageRecords(ZIP + 'deflate.json.zip');
  assert.deepEqual(coco.map((r) => r.id), [397133, 37777, 448263]);
  const list = imageList('the val', lvis);
  assert.equal(list.images.length, 100);
  assert.equal(list.images[0]!.split, 'val2017');
});

test('a truncated file is located; a record without coco_url is counted, one with a bad size refused', async () => {
  const text = readFileSync(REAL + 'instances_val2017_small.json', 'utf8');
  const err = await diagnosticOf(readImageRecords(tempFile(text.slice(0, 2000))));
  assert.match(err.message, /truncated/);
  const noUrl = imageList('the subset', [{ index: 0, id: 5, cocoUrl: undefined, width: 1, height: 1 }]);
  assert.deepEqual(noUrl.withoutUrl, { count: 1, firstIds: [5] });
  assert.throws(
    () => imageList('the subset', [{ index: 0, id: 5, cocoUrl: 'http://x/train2017/a.jpg', width: 0, height: 1 }]),
    (e: unknown) => e instanceof DiagnosticError && /the subset: image id 5: "width" is 0, expected a whole number of pixels/.test(e.message),
  );
});

test('an image in both files is placed once, and must have one size', () => {
  const ref = { id: 1, split: 'train2017', file: 'a.jpg', width: 10, height: 10 };
  const list = (label: string, images: (typeof ref)[]) => ({ label, images, withoutUrl: { count: 0, firstIds: [] } });
  assert.equal(distinctImages({ train: list('the subset', [ref]), val: list('the pruned val', [{ ...ref }]) }).length, 1);
  assert.throws(() => distinctImages({ train: list('the subset', [ref]), val: list('the pruned val', [{ ...ref, id: 2, height: 11 }]) }), /image id 2 and image id 1 are both train2017\/a\.jpg/);
});

test('the manifest: one URL per line, each image once, names percent-encoded, under any base', () => {
  const images = [
    { split: 'train2017', file: '000000000009.jpg' },
    { split: 'train2017', file: 'odd name #1%.jpg' },
    { split: 'train2017', file: '000000000009.jpg' },
  ];
  assert.equal(manifestText(baseUrl('http://images.cocodataset.org/'), images), 'http://images.cocodataset.org/train2017/000000000009.jpg\nhttp://images.cocodataset.org/train2017/odd%20name%20%231%25.jpg\n');
  assert.equal(manifestText(baseUrl('https://mirror.example/coco'), images.slice(0, 1)), 'https://mirror.example/coco/train2017/000000000009.jpg\n');
  assert.equal(manifestText(baseUrl('http://x/'), []), '');
});

test('the JPEG check: whole, with the frame size the JSON gives; what a retry may fix', () => {
  const good = makeJpeg(640, 427, 5000);
  assert.deepEqual(jpegFrameSize(good), { width: 640, height: 427 });
  assert.equal(jpegProblem(good, 640, 427), undefined);
  assert.equal(jpegProblem(Buffer.concat([good, Buffer.alloc(16)]), 640, 427), undefined, 'trailing zero padding');
  const progressive = Buffer.from(good);
  progressive[progressive.indexOf(Buffer.from([0xff, 0xc0]), 2) + 1] = 0xc2; // SOF2
  assert.equal(jpegProblem(progressive, 640, 427), undefined);
  assert.deepEqual(jpegProblem(good.subarray(0, good.length - 100), 640, 427), { message: 'a JPEG cut short (no end-of-image marker)', retry: true });
  assert.deepEqual(jpegProblem(good, 427, 640), { message: 'a 640×427 JPEG, where the JSON says 427×640', retry: false });
  assert.equal(jpegProblem(Buffer.from('<html>hello</html>'), 1, 1)?.retry, false);
  assert.match(jpegProblem(Buffer.from('<html>hello</html>'), 1, 1)!.message, /^not a JPEG: it starts with "<html>hello<\/html>"$/);
  const noFrame = Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
  assert.match(jpegProblem(noFrame, 1, 1)!.message, /without a frame header/);
});
