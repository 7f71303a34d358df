/**
 * One image fetched into the download store: redirects followed only within the base URL's
 * host, retries with exponential backoff (and jitter) on what may pass (a reset, a timeout, a
 * 5xx, a body cut short), the bytes checked to be the JPEG the JSON describes (jpeg.ts), then
 * written under a temp name and renamed into place: a kill leaves no partial file under a final
 * name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FetchError, httpGet, type GetOptions } from './http-get.js';
import { jpegProblem } from './jpeg.js';
import type { ImageRef } from './plan.js';

export interface FetchImageOptions extends GetOptions {
  /** The base URL: redirects may not leave its host. */
  base: URL;
  retries: number;
  /** The first retry's wait; it doubles with each retry (at most 30 s). */
  backoffMs: number;
  /** Where temp files go (the store's, on its filesystem). */
  tmpDir: string;
  /** What the downloads of one run have learnt of the host (shared by them). */
  host?: HostState;
}

/**
 * Whether the host has answered at all (any HTTP response), and, once an image has failed for
 * good because the host could not be reached before it ever answered, why: the host is taken to
 * be down (a wrong images_url, no network), and no download tries again.
 */
export interface HostState {
  answered: boolean;
  down?: string;
}

const MAX_REDIRECTS = 5;

async function getFollowing(url: URL, o: FetchImageOptions): Promise<Buffer> {
  let at = url;
  for (let hops = 0; hops <= MAX_REDIRECTS; hops++) {
    const r = await httpGet(at, o);
    if ('body' in r) return r.body;
    const next = new URL(r.redirect, at);
    if (next.host !== o.base.host || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
      throw new FetchError(`it redirects to ${next.href}, off ${o.base.host}: redirects are followed only within the images host`, false);
    }
    at = next;
  }
  throw new FetchError(`more than ${MAX_REDIRECTS} redirects`, false);
}

/** Store folders made so far (one mkdir per split, not per image). */
const made = new Set<string>();

async function writeAtomically(dest: string, body: Buffer, tmpDir: string): Promise<void> {
  const tmp = path.join(tmpDir, `${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(tmp, body, { flag: 'wx', mode: 0o444 });
    const dir = path.dirname(dest);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true }); // the store's folder was removed meanwhile
      await rename(tmp, dest);
    });
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function backoff(attempt: number, o: FetchImageOptions, retryAfterMs: number | undefined): number {
  const exp = Math.min(30_000, o.backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2);
  return Math.max(exp, retryAfterMs ?? 0);
}

/** Fetches the image `ref` from `url` into `dest`; its size. A FetchError once it has failed for good. */
export async function fetchImage(url: URL, ref: ImageRef, dest: string, o: FetchImageOptions): Promise<number> {
  const host = o.host ?? { answered: false };
  for (let attempt = 0; ; attempt++) {
    try {
      const body = await getFollowing(url, o);
      host.answered = true;
      const problem = jpegProblem(body, ref.width, ref.height);
      if (problem) throw new FetchError(problem.message, problem.retry);
      await writeAtomically(dest, body, o.tmpDir);
      return body.length;
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      if (!err.unreached) host.answered = true;
      // A host that has never answered gets one retry, not `retries`: with a wrong images_url or
      // no network, every image would otherwise wait out the whole backoff (minutes with timeouts).
      const retries = err.unreached && !host.answered ? Math.min(o.retries, 1) : o.retries;
      if (!err.retry || attempt >= retries || host.down !== undefined) {
        if (err.unreached && !host.answered) host.down ??= err.message;
        throw err.retry ? new FetchError(`${err.message} (${attempt + 1} ${attempt === 0 ? 'try' : 'tries'})`, true, undefined, err.unreached) : err;
      }
      await sleep(backoff(attempt, o, err.retryAfterMs), undefined, { signal: o.signal });
    }
  }
}
