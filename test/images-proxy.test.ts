/**
 * Downloads through an HTTP proxy taken from the environment (http_proxy, https_proxy,
 * no_proxy), as curl and wget do: against a real forward proxy on 127.0.0.1
 * (helpers/proxy-server.ts) in front of the image server, http:// images as absolute-form GETs,
 * https:// ones through a CONNECT tunnel (a TLS server with the self-signed certificate of
 * test/fixtures/tls, made with `openssl req -x509 -newkey rsa:2048 -nodes -days 36500
 * -subj "/CN=lvis-pipe test server" -addext subjectAltName=IP:127.0.0.1`, trusted by the child
 * process through NODE_EXTRA_CA_CERTS). No traffic leaves the loopback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DiagnosticError } from '../src/base/diagnostic.js';
import { baseUrl } from '../src/lvis/images/manifest.js';
import { proxyFor } from '../src/lvis/images/proxy.js';
import { syncImages } from '../src/lvis/images/sync-images.js';
import { ImageServer } from './helpers/image-server.js';
import { lvisJson, pipeline, rel, TRAIN, VAL } from './helpers/images-fixture.js';
import { ProxyServer } from './helpers/proxy-server.js';
import { Workspace } from './helpers/runner-fixture.js';

const CLI = fileURLToPath(new URL('../../bin/lvis-pipe.js', import.meta.url));
const TLS = fileURLToPath(new URL('../../test/fixtures/tls/', import.meta.url));
const ALL = [...TRAIN, ...VAL];

describe('which proxy the environment asks for', () => {
  const http = new URL('http://images.cocodataset.org/');
  const https = new URL('https://images.example.org/');
  it('http_proxy for http:// images, https_proxy for https:// ones; lowercase first; none: direct', () => {
    assert.equal(proxyFor(http, { http_proxy: 'http://p:3128' })?.url.href, 'http://p:3128/');
    assert.equal(proxyFor(http, { https_proxy: 'http://p:3128' }), undefined);
    assert.equal(proxyFor(https, { https_proxy: 'http://s:8080' })?.from, 'https_proxy');
    assert.equal(proxyFor(http, { http_proxy: 'http://low:1', HTTP_PROXY: 'http://up:2' })?.url.host, 'low:1');
    assert.equal(proxyFor(http, { HTTP_PROXY: 'http://up:2' })?.from, 'HTTP_PROXY');
    assert.equal(proxyFor(http, { http_proxy: 'proxy.cluster:3128' })?.url.href, 'http://proxy.cluster:3128/', 'no scheme: http://, as curl takes it');
    assert.equal(proxyFor(http, { http_proxy: '  ' }), undefined);
    assert.equal(proxyFor(http, {}), undefined);
  });

  it('no_proxy: names, domain suffixes with or without a dot, host:port, *', () => {
    const via = (no_proxy: string, target = http) => proxyFor(target, { http_proxy: 'http://p:1', https_proxy: 'http://p:1', no_proxy }) !== undefined;
    assert.equal(via('images.cocodataset.org'), false);
    assert.equal(via('.cocodataset.org'), false);
    assert.equal(via('cocodataset.org'), false);
    assert.equal(via('*.cocodataset.org'), false);
    assert.equal(via('localhost, cocodataset.org'), false);
    assert.equal(via('images.cocodataset.org:80'), false);
    assert.equal(via('images.cocodataset.org:8080'), true, 'another port');
    assert.equal(via('dataset.org'), true, 'not a domain of it');
    assert.equal(via('*'), false);
    assert.equal(via('127.0.0.1', new URL('http://127.0.0.1:9000/')), false);
    assert.equal(via('', https), true);
    assert.equal(proxyFor(http, { http_proxy: 'http://p:1', NO_PROXY: 'cocodataset.org' }), undefined, 'NO_PROXY too');
  });

  it('a proxy URL it cannot use is said, naming the variable', () => {
    assert.throws(() => proxyFor(http, { http_proxy: 'http://[::1' }), /^Error: http_proxy is not a URL: "http:\/\/\[::1" \(expected http:\/\/host:port\/\)$/);
    assert.throws(() => proxyFor(https, { https_proxy: 'https://p:443' }), /^Error: https_proxy is https:\/\/p\/: a proxy URL must start with http:\/\/ \(https:\/\/ proxies are not supported/);
    assert.throws(() => proxyFor(http, { http_proxy: 'socks5://ann:pw@p:1080' }), /^Error: http_proxy is socks5:\/\/p:1080: a proxy URL must start with http:\/\/ \(socks5:\/\/ proxies/, 'credentials are not shown');
  });
});

describe('downloads through a real proxy on 127.0.0.1', () => {
  let ws: Workspace;
  let server: ImageServer;
  let tlsServer: ImageServer;
  before(async () => {
    ws = new Workspace();
    server = await new ImageServer().start();
    tlsServer = await new ImageServer({ key: readFileSync(path.join(TLS, 'key.pem')), cert: readFileSync(path.join(TLS, 'cert.pem')) }).start();
    for (const s of [server, tlsServer]) for (const i of ALL) s.images.set(rel(i), { width: i.width, height: i.height, bytes: 5_000 });
    ws.write('data/train.json', lvisJson(TRAIN));
    ws.write('data/val.json', lvisJson(VAL));
  });
  after(async () => {
    await server.stop();
    await tlsServer.stop();
    ws.remove();
  });

  /**
   * The CLI in a child process with `env` added (and no proxy variables of the machine's own);
   * asynchronous, since the servers it talks to are in this process.
   */
  let runs = 0;
  /** Each run writes to a folder of its own (out-N/images), with a cache of its own. */
  async function run(yaml: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
    out = `out-${++runs}`;
    ws.write('p.yaml', yaml.replace('dir: out/images', `dir: ${out}/images`));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no|all)_proxy$/i.test(k)));
    const child = spawn(process.execPath, [CLI, 'run', 'p.yaml', '--cache-dir', `cache-${Math.random().toString(36).slice(2)}`], { cwd: ws.dir, env: { ...clean, CI: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { status, stdout, stderr };
  }
  let out = '';
  const placed = (s: ImageServer) => ALL.every((i) => existsSync(ws.path(out, 'images', rel(i))) && readFileSync(ws.path(out, 'images', rel(i))).equals(s.body(rel(i))));

  it('http:// images: every GET goes to the proxy, which is named in the log', async () => {
    const proxy = await new ProxyServer().start();
    try {
      const r = await run(pipeline(`, download: true, images_url: "${server.base}"`), { http_proxy: proxy.url });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.ok(placed(server));
      assert.deepEqual(proxy.gets.sort(), ALL.map((i) => `${server.base}${rel(i)}`).sort());
      assert.match(r.stdout + r.stderr, new RegExp(`downloading through the proxy http://127\\.0\\.0\\.1:${proxy.port}/ \\(http_proxy\\)`));
    } finally {
      await proxy.stop();
    }
  });

  it('https:// images: one CONNECT tunnel per connection, TLS to the host inside it, no GET seen by the proxy', async () => {
    const proxy = await new ProxyServer().start();
    try {
      const r = await run(pipeline(`, download: true, images_url: "${tlsServer.base}", concurrency: 2`), { https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: path.join(TLS, 'cert.pem') });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.ok(placed(tlsServer));
      assert.equal(proxy.gets.length, 0);
      assert.ok(proxy.tunnels.length >= 1 && proxy.tunnels.length <= 2, `kept-alive tunnels, at most one per connection: ${proxy.tunnels.length}`);
      assert.ok(proxy.tunnels.every((t) => t === `127.0.0.1:${tlsServer.port}`), proxy.tunnels.join());
    } finally {
      await proxy.stop();
    }
  });

  it('no_proxy naming the host: direct, the proxy is never asked', async () => {
    const proxy = await new ProxyServer().start();
    try {
      const r = await run(pipeline(`, download: true, images_url: "${server.base}"`), { http_proxy: proxy.url, no_proxy: 'localhost,127.0.0.1' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.ok(placed(server));
      assert.equal(proxy.gets.length + proxy.tunnels.length, 0);
    } finally {
      await proxy.stop();
    }
  });

  it('a proxy that wants credentials: user:password in the URL are sent; without them each image fails with 407', async () => {
    const proxy = await new ProxyServer('ann:s3cr%t').start();
    try {
      const base = baseUrl(server.base);
      const plan = { train: { label: 'the subset', images: TRAIN.map((i) => ({ ...i, file: rel(i).split('/')[1]! })), withoutUrl: { count: 0, firstIds: [] } } };
      const o = (dir: string, proxyUrl: string) => ({
        dir: ws.path(dir),
        download: { base, concurrency: 2, timeoutMs: 2000, retries: 1, maxBytes: 1 << 20, backoffMs: 5, dataDir: ws.path(`${dir}-data`), proxy: { url: new URL(proxyUrl), from: 'http_proxy' } },
        log: () => {},
        signal: new AbortController().signal,
      });
      const err = await syncImages(plan, o('no-credentials', proxy.url)).catch((e: unknown) => e);
      assert.ok(err instanceof DiagnosticError, String(err));
      assert.match(err.message, /^6 of the 6 images to download are missing\. A rerun fetches only what is missing:\n.*HTTP 407 Proxy Authentication Required/s);
      await syncImages(plan, o('with-credentials', `http://ann:s3cr%25t@127.0.0.1:${proxy.port}/`));
      assert.equal(proxy.gets.length, 6);
    } finally {
      await proxy.stop();
    }
  });

  it('a proxy that is down: stopped at once, and the message names the proxy, not the images host', async () => {
    const gone = await new ProxyServer().start();
    await gone.stop();
    const r = await run(pipeline(`, download: true, images_url: "${server.base}", retries: 4`), { http_proxy: gone.url });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`the proxy 127\\.0\\.0\\.1:${gone.port} \\(http_proxy\\) could not be reached, and it never answered(, so the other \\d+ were not tried)? \\(is http_proxy right, and is the proxy up\\?\\)`));
  });

  it('a proxy variable that is not a URL: a clear error, no stack', async () => {
    const r = await run(pipeline(`, download: true, images_url: "${server.base}"`), { http_proxy: 'http://[::1' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /http_proxy is not a URL: "http:\/\/\[::1" \(expected http:\/\/host:port\/\); or unset it to download directly/);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /);
  });
});
