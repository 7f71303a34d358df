/**
 * One HTTP(S) GET of an image: node:http/https with a keep-alive agent, an idle timeout (no
 * byte for `timeoutMs`), a cap on the body, and the Content-Length checked against the bytes
 * that came. Redirects are returned, not followed (fetch-image.ts decides). Every failure is a
 * FetchError that says whether trying again may help.
 */
import http from 'node:http';
import https from 'node:https';
import { formatBytes } from '../../base/format.js';
import { proxyHeaders } from './proxy.js';

export class FetchError extends Error {
  constructor(
    message: string,
    /** Trying again may help (a reset, a timeout, a 5xx, a body cut short). */
    readonly retry: boolean,
    /** Wait at least this long first (Retry-After). */
    readonly retryAfterMs?: number,
    /** The server was never reached: no connection (refused, no such host, unreachable, a connect timeout). */
    readonly unreached = false,
  ) {
    super(message);
  }
}

export type GetResult = { redirect: string } | { body: Buffer };

export interface GetOptions {
  timeoutMs: number;
  maxBytes: number;
  /** The agents (the https one tunnels through `proxy` when there is one: proxy.ts). */
  agents: { http: http.Agent; https: https.Agent };
  /** An HTTP proxy: http:// URLs are asked of it in absolute form. */
  proxy?: URL;
  signal: AbortSignal;
}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);
/** Errors that mean no connection was made at all. */
const UNREACHED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Retry-After (seconds) in milliseconds, at most a minute. */
function retryAfter(h: string | undefined): number | undefined {
  const s = h !== undefined ? Number(h) : NaN;
  return Number.isFinite(s) && s >= 0 ? Math.min(60, s) * 1000 : undefined;
}

function networkError(err: NodeJS.ErrnoException & { status?: number }): FetchError {
  const code = err.code ?? '';
  if (code === 'EPROXYTUNNEL') return new FetchError(err.message, RETRY_STATUS.has(err.status ?? 0));
  const retry = NETWORK_CODES.has(code) || err.message === 'socket hang up' || err.message === 'aborted';
  return new FetchError(code ? `${code}: ${err.message}` : err.message, retry, undefined, UNREACHED_CODES.has(code));
}

/** Reads the body of a 200 response, within the cap, and checks it against its Content-Length. */
function readBody(res: http.IncomingMessage, req: http.ClientRequest, maxBytes: number, done: (err: Error | undefined, body?: Buffer) => void): void {
  const declared = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  if (declared !== undefined && declared > maxBytes) {
    done(new FetchError(`it is ${formatBytes(declared)}, over the ${formatBytes(maxBytes)} cap (max_image_bytes)`, false));
    return void req.destroy();
  }
  const parts: Buffer[] = [];
  let n = 0;
  res.on('data', (chunk: Buffer) => {
    n += chunk.length;
    if (n > maxBytes) {
      done(new FetchError(`its body went over the ${formatBytes(maxBytes)} cap (max_image_bytes)`, false));
      req.destroy();
    } else parts.push(chunk);
  });
  res.on('end', () => {
    if (!res.complete) return done(new FetchError(`the connection closed after ${n}${declared !== undefined ? ` of ${declared}` : ''} bytes`, true));
    if (declared !== undefined && n !== declared) return done(new FetchError(`${n} bytes came, Content-Length said ${declared}`, true));
    done(undefined, Buffer.concat(parts, n));
  });
  res.on('error', (err) => done(new FetchError(`the connection failed after ${n}${declared !== undefined ? ` of ${declared}` : ''} bytes (${err.message})`, true)));
}

/** GETs `url`: its body, or where it redirects to; rejects with a FetchError (or the abort reason). */
export function httpGet(url: URL, o: GetOptions): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = (err: Error | undefined, value?: GetResult) => {
      if (settled) return;
      settled = true;
      if (err) reject(o.signal.aborted ? o.signal.reason : err);
      else resolve(value!);
    };
    const headers = { 'user-agent': 'lvis-pipe', accept: 'image/jpeg, image/*;q=0.8' };
    const onResponse = (res: http.IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        return done(undefined, { redirect: res.headers.location });
      }
      if (status !== 200) {
        res.resume();
        return done(new FetchError(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, RETRY_STATUS.has(status), retryAfter(res.headers['retry-after'])));
      }
      readBody(res, req, o.maxBytes, (err, body) => done(err, body ? { body } : undefined));
    };
    const req =
      url.protocol === 'https:'
        ? https.get(url, { agent: o.agents.https, signal: o.signal, headers }, onResponse)
        : o.proxy
          ? http.get({ host: o.proxy.hostname, port: o.proxy.port || 80, path: url.href, agent: o.agents.http, signal: o.signal, headers: { ...headers, host: url.host, ...proxyHeaders(o.proxy) } }, onResponse)
          : http.get(url, { agent: o.agents.http, signal: o.signal, headers }, onResponse);
    // The first error said wins: the timeout's, not that of the connection it closes.
    req.setTimeout(o.timeoutMs, () => {
      const connecting = req.socket === null || req.socket === undefined || req.socket.connecting;
      done(new FetchError(connecting ? `no connection in ${o.timeoutMs / 1000} s (timeout)` : `no data for ${o.timeoutMs / 1000} s (timeout)`, true, undefined, connecting));
      req.destroy();
    });
    req.on('error', (err) => done(err instanceof FetchError ? err : networkError(err)));
  });
}
