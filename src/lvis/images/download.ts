/**
 * Fetching many images at once (p-limit bounds the requests in flight), with progress (files,
 * bytes, rate, time left), a summary, and the failures collected rather than thrown: each image
 * that fails is listed, the others are kept. After many failures in a row and no success (a
 * wrong images_url, a server down) the rest are not tried; nor once the host could not be
 * reached at all before it ever answered (refused, no such host, no route, a connect timeout).
 * Those stop at once: no image waits out its retries.
 *
 * Images are fetched into a download store shared by every run (the cache's data folder), and
 * one fetch per store file is in flight in the process at a time: sweep variants running at
 * once never fetch an image twice.
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import pLimit from 'p-limit';
import type { ProgressReporter } from '../../base/progress.js';
import { fetchImage, type FetchImageOptions, type HostState } from './fetch-image.js';
import { FetchError } from './http-get.js';
import type { ImageRef } from './plan.js';
import { RateMeter } from './rate.js';
import { tunnelAgent } from './proxy.js';

export interface DownloadJob {
  ref: ImageRef;
  url: URL;
  /** Where it goes in the store. */
  dest: string;
  /** Called once it is there (the caller places it in the images folder). */
  then?: () => Promise<void>;
}

export interface DownloadOptions extends Omit<FetchImageOptions, 'agents' | 'host' | 'proxy'> {
  /** The HTTP proxy to go through (proxy.ts), if any. */
  proxy?: URL;
  concurrency: number;
  progress?: ProgressReporter;
  log?: (message: string) => void;
}

export interface DownloadOutcome {
  fetched: number;
  bytes: number;
  failed: { url: string; message: string }[];
  /** Not tried, after too many failures in a row or once the host was found down. */
  notTried: number;
  /** Why the host was taken to be down (it could not be reached and never answered), if it was. */
  hostDown?: string;
  meter: RateMeter;
}

const inflight = new Map<string, Promise<number>>();

function once(dest: string, fetch: () => Promise<number>): Promise<number> {
  let p = inflight.get(dest);
  if (!p) {
    p = fetch().finally(() => inflight.delete(dest));
    inflight.set(dest, p);
  }
  return p;
}

/** A log line at most every this often, for logs that show no bar (CI, `--quiet`, a file). */
const LOG_EVERY_MS = 30_000;

/**
 * A signal for the requests that follows `outer`: each request and each backoff listens to it,
 * hundreds at once, past the default listener limit the outer signal has (a spurious warning).
 */
function requestSignal(outer: AbortSignal): { signal: AbortSignal; release(): void } {
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  const abort = () => inner.abort(outer.reason);
  if (outer.aborted) abort();
  else outer.addEventListener('abort', abort, { once: true });
  return { signal: inner.signal, release: () => outer.removeEventListener('abort', abort) };
}

export async function downloadImages(jobs: DownloadJob[], o: DownloadOptions): Promise<DownloadOutcome> {
  const pool = { keepAlive: true, maxSockets: o.concurrency };
  const agents = { http: new http.Agent(pool), https: o.proxy ? tunnelAgent(o.proxy, pool) : new https.Agent(pool) };
  const meter = new RateMeter(jobs.length);
  const out: DownloadOutcome = { fetched: 0, bytes: 0, failed: [], notTried: 0, meter };
  const giveUpAfter = Math.max(10, 2 * o.concurrency);
  let inARow = 0;
  let lastLog = 0;
  const host: HostState = { answered: false };
  const limit = pLimit(o.concurrency);
  const requests = requestSignal(o.signal);
  o.progress?.start('downloading images', jobs.length, 'images');
  const one = async (job: DownloadJob) => {
    if (inARow >= giveUpAfter || host.down !== undefined) return void out.notTried++;
    try {
      const n = await once(job.dest, () => fetchImage(job.url, job.ref, job.dest, { ...o, agents, host, signal: requests.signal }));
      await job.then?.();
      out.fetched++;
      out.bytes = meter.bytes += n;
      inARow = 0;
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      out.failed.push({ url: job.url.href, message: err.message });
      inARow++;
    }
    meter.done++;
    o.progress?.update(meter.done, meter.detail());
    if (o.log && meter.elapsedMs - lastLog > LOG_EVERY_MS) {
      lastLog = meter.elapsedMs;
      o.log(`downloaded ${meter.done} of ${jobs.length} images (${meter.detail()})`);
    }
  };
  try {
    const settled = await Promise.allSettled(jobs.map((job) => limit(() => one(job))));
    const broken = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (broken) throw broken.reason;
  } finally {
    requests.release();
    agents.http.destroy();
    agents.https.destroy();
  }
  o.progress?.done();
  if (host.down !== undefined) out.hostDown = host.down;
  return out;
}
