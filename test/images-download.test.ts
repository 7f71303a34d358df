/**
 * Downloading a run's images (issue 26, point 3), against a real HTTP server on 127.0.0.1
 * (test/helpers/image-server.ts) that serves generated JPEGs and injects each fault: 404; 500,
 * then success; a connection reset mid-body; a stall longer than the timeout; a wrong
 * Content-Length; an HTML page instead of a JPEG; a JPEG of the wrong size; redirects on and off
 * the host; a body over the cap. Each outcome is asserted: what is placed, what is listed as
 * failed, how many requests each image took. No traffic leaves the loopback.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DiagnosticError } from '../src/base/diagnostic.js';
import type { ProgressReporter } from '../src/base/progress.js';
import { baseUrl } from '../src/lvis/images/manifest.js';
import type { ImagePlan, ImageRef } from '../src/lvis/images/plan.js';
import { syncImages, type SyncImagesOptions } from '../src/lvis/images/sync-images.js';
import { ImageServer, type Fault } from './helpers/image-server.js';

const work = mkdtempSync(path.join(tmpdir(), 'lvis-pipe-download-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** `count` train images 640×(400+i), served by `server`. */
function planOf(server: ImageServer, count: number, split = 'train2017', from = 0): ImagePlan {
  const images: ImageRef[] = [];
  for (let i = from; i < from + count; i++) {
    const ref = { id: i, split, file: `${String(i).padStart(12, '0')}.jpg`, width: 640, height: 400 + i };
    server.images.set(`${split}/${ref.file}`, { width: ref.width, height: ref.height, bytes: 3000 + 37 * i });
    images.push(ref);
  }
  return { train: { label: 'the subset', images, withoutUrl: { count: 0, firstIds: [] } } };
}

interface Harness {
  dir: string;
  dataDir: string;
  logs: string[];
  details: string[];
  options(over?: Partial<SyncImagesOptions['download']>): SyncImagesOptions;
}

function harness(server: ImageServer, dataDir?: string): Harness {
  const h: Harness = {
    dir: path.join(work, `out${n++}`, 'images'),
    dataDir: dataDir ?? path.join(work, `data${n++}`),
    logs: [],
    details: [],
    options(over = {}) {
      const progress: ProgressReporter = { start() {}, update: (_d, detail) => void (detail && h.details.push(detail)), done() {} };
      return {
        dir: h.dir,
        download: { base: baseUrl(server.base), concurrency: 4, timeoutMs: 2000, retries: 2, maxBytes: 1 << 20, backoffMs: 5, dataDir: h.dataDir, ...over },
        progress,
        log: (m) => h.logs.push(m),
        signal: new AbortController().signal,
      };
    },
  };
  return h;
}

const file = (ref: ImageRef) => `${ref.split}/${ref.file}`;

async function failureOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DiagnosticError, String(err));
    return err.message;
  }
  assert.fail('expected the sync to fail');
}

describe('downloads from a real local server, with faults', () => {
  let server: ImageServer;
  before(async () => {
    server = await new ImageServer().start();
  });
  after(() => server.stop());
  beforeEach(() => {
    server.faults.clear();
    server.requests.clear();
  });

  it('fetches every image once, checks it and places it; a rerun and another folder fetch nothing', async () => {
    const plan = planOf(server, 12);
    const h = harness(server);
    await syncImages(plan, h.options());
    for (const ref of plan.train.images) {
      assert.ok(readFileSync(path.join(h.dir, file(ref))).equals(server.body(file(ref))), file(ref));
      assert.equal(server.requests.get(file(ref)), 1);
    }
    assert.match(h.logs.at(-1)!, /^downloaded 12 images, \d.* in 0:0\d \(.*\/s\)$/);
    assert.ok(h.details.some((d) => /B, .*B\/s, \d+:\d\d left/.test(d)), `progress shows bytes, rate and time left: ${h.details.at(-1)}`);
    await syncImages(plan, h.options());
    const other = harness(server, h.dataDir); // a sweep variant: another folder, the same cache
    await syncImages(plan, other.options());
    assert.deepEqual(readdirSync(path.join(other.dir, 'train2017')).length, 12);
    for (const ref of plan.train.images) assert.equal(server.requests.get(file(ref)), 1, 'never fetched twice');
    assert.match(other.logs.at(-1)!, /placed 12 by (hard link|reflink|copy) from the download store/);
  });

  const cases: [string, Fault, { placed: boolean; requests: number; message?: RegExp }][] = [
    ['404', { kind: '404' }, { placed: false, requests: 1, message: /HTTP 404 Not Found/ }],
    ['500, then success', { kind: 'fail-then-ok', status: 500, times: 1 }, { placed: true, requests: 2 }],
    ['503 every time', { kind: 'fail-then-ok', status: 503, times: 99 }, { placed: false, requests: 3, message: /HTTP 503 .*\(3 tries\)/ }],
    ['a connection reset mid-body, then success', { kind: 'reset-then-ok', times: 1 }, { placed: true, requests: 2 }],
    ['a connection reset mid-body every time', { kind: 'reset' }, { placed: false, requests: 3, message: /\(3 tries\)/ }],
    ['a stall longer than the timeout', { kind: 'stall' }, { placed: false, requests: 3, message: /no data for 0\.3 s \(timeout\) \(3 tries\)/ }],
    ['a Content-Length larger than the body', { kind: 'short-length' }, { placed: false, requests: 3, message: /the connection (closed|failed) after \d+ of \d+ bytes.*\(3 tries\)/ }],
    ['an HTML page instead of a JPEG', { kind: 'html' }, { placed: false, requests: 1, message: /not a JPEG: it starts with "<!DOCTYPE html><html><bo…"/ }],
    ['a JPEG of the wrong size', { kind: 'wrong-size' }, { placed: false, requests: 1, message: /a 641×402 JPEG, where the JSON says 640×402/ }],
    ['a body over the cap', { kind: 'chunked-huge', bytes: 200_000 }, { placed: false, requests: 1, message: /its body went over the 100 kB cap \(max_image_bytes\)/ }],
  ];

  for (const [name, fault, expect] of cases) {
    it(`${name}: ${expect.placed ? 'placed after a retry' : 'listed as failed, the rest placed'}`, async () => {
      const plan = planOf(server, 5);
      const bad = plan.train.images[2]!;
      server.faults.set(file(bad), fault);
      const h = harness(server);
      const run = syncImages(plan, h.options({ timeoutMs: 300, maxBytes: 100_000 }));
      if (expect.placed) await run;
      else {
        const message = await failureOf(run);
        assert.match(message, /^1 of the 5 images to download are missing\. The other 4 images are in place; a rerun fetches only what is missing:/);
        assert.ok(message.includes(`${server.base}${file(bad)}: `), message);
        assert.match(message, expect.message!);
      }
      assert.equal(existsSync(path.join(h.dir, file(bad))), expect.placed);
      assert.equal(server.requests.get(file(bad)), expect.requests);
      for (const ref of plan.train.images.filter((r) => r !== bad)) assert.ok(existsSync(path.join(h.dir, file(ref))), `${file(ref)} is placed`);
      assert.deepEqual(readdirSync(path.join(h.dataDir)).filter((d) => d !== 'tmp').length, 1, 'one store folder');
      const tmp = path.join(h.dataDir, 'tmp', String(process.pid));
      assert.deepEqual(readdirSync(tmp), [], 'no temp file left');
    });
  }

  it('follows a redirect within the host, refuses one to another host (without contacting it)', async () => {
    const plan = planOf(server, 2);
    const [inside, outside] = plan.train.images as [ImageRef, ImageRef];
    server.images.set('moved/here.jpg', { width: inside.width, height: inside.height, bytes: 3000 + 37 * inside.id });
    server.faults.set(file(inside), { kind: 'redirect', to: '/moved/here.jpg' });
    server.faults.set(file(outside), { kind: 'redirect', to: `http://localhost:${server.port}/elsewhere/x.jpg` });
    const h = harness(server);
    const message = await failureOf(syncImages(plan, h.options()));
    assert.match(message, new RegExp(`it redirects to http://localhost:${server.port}/elsewhere/x\\.jpg, off 127\\.0\\.0\\.1:${server.port}: redirects are followed only within the images host`));
    assert.ok(existsSync(path.join(h.dir, file(inside))));
    assert.equal(server.requests.get('moved/here.jpg'), 1);
    assert.equal(server.requests.get('elsewhere/x.jpg'), undefined, 'the other host was never asked');
  });

  it('a Content-Length over the cap is refused before the body is read', async () => {
    const plan = planOf(server, 1);
    const h = harness(server);
    const message = await failureOf(syncImages(plan, h.options({ maxBytes: 1000 })));
    assert.match(message, /it is 3\.\d kB, over the 1\.0 kB cap \(max_image_bytes\)/);
  });

  // Probe 2: a wrong images_url or no network made every image wait out its retries before the
  // run gave up, and the message said "the other images are in place" when none was.
  it('a host that refuses every connection and never answered: one retry, then nothing more is tried', async () => {
    const gone = await new ImageServer().start();
    await gone.stop(); // its port now refuses connections
    const plan = planOf(gone, 40);
    const h = harness(gone);
    const message = await failureOf(syncImages(plan, h.options({ concurrency: 4, retries: 4, backoffMs: 5 })));
    const m = /^40 of the 40 images to download are missing; 127\.0\.0\.1:\d+ could not be reached, and it never answered, so the other (\d+) were not tried \(is images_url right, and is the network up\?\)\. A rerun fetches only what is missing:\n/.exec(message);
    assert.ok(m, message);
    assert.ok(Number(m[1]) >= 36, `at most one round of ${4} requests failed: ${message}`);
    assert.match(message, /: ECONNREFUSED: .*\(2 tries\)/, 'one retry, not four');
    assert.equal(existsSync(path.join(h.dir, file(plan.train.images[0]!))), false);
  });

  it('a host that has answered keeps the full retries when it then refuses connections', async () => {
    const flaky = await new ImageServer().start();
    const plan = planOf(flaky, 2);
    const h = harness(flaky);
    const o = h.options({ concurrency: 1, retries: 2, backoffMs: 5 });
    let stopped: Promise<void> | undefined;
    // The first image comes whole; then the server goes away.
    o.progress = { start() {}, update: () => void (stopped ??= flaky.stop()), done() {} };
    const message = await failureOf(syncImages(plan, o));
    await stopped;
    assert.match(message, /^1 of the 2 images to download are missing\. The other 1 image is in place; a rerun fetches only what is missing:\n.*ECONNREFUSED: .*\(3 tries\)/s);
    assert.ok(existsSync(path.join(h.dir, file(plan.train.images[0]!))));
  });

  it('after many failures in a row, the rest are not tried', async () => {
    const plan = planOf(server, 30);
    for (const ref of plan.train.images) server.faults.set(file(ref), { kind: '404' });
    const h = harness(server);
    const message = await failureOf(syncImages(plan, h.options({ concurrency: 2 })));
    const m = /^30 of the 30 images to download are missing; after (\d+) failures in a row the other (\d+) were not tried \(is images_url right, and the server up\?\)/.exec(message);
    assert.ok(m, message);
    assert.ok(Number(m[1]) >= 10 && Number(m[1]) <= 11 && Number(m[1]) + Number(m[2]) === 30, message); // (the request already in flight counts too)
    assert.ok([...server.requests.values()].reduce((a, b) => a + b, 0) <= 12, 'the server is not hammered');
  });
});
