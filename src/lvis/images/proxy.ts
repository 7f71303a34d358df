/**
 * Downloads through an HTTP proxy, as `curl` and `wget` take it from the environment: on a
 * cluster node the way out is often a proxy, and images.cocodataset.org is reached only through
 * it.
 *
 * - `http_proxy` (or `HTTP_PROXY`) for http:// image URLs: each GET goes to the proxy with the
 *   absolute URL as its target (RFC 9112, 3.2.2);
 * - `https_proxy` (or `HTTPS_PROXY`) for https:// ones: a CONNECT tunnel to the host, and TLS
 *   to the host inside it, so the proxy sees no more than the host name;
 * - `no_proxy` (or `NO_PROXY`): host names, `.domain` or `domain` suffixes, `host:port`, IP
 *   addresses, or `*`, that are reached directly.
 *
 * A proxy URL may carry `user:password@` (sent as Basic Proxy-Authorization). The lowercase
 * names win over the uppercase ones, as in curl. Node's own http client reads none of them.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';

export interface Proxy {
  url: URL;
  /** The variable it came from (`http_proxy`, …), for messages. */
  from: string;
}

/** The proxy for requests to `target` (an image base URL), or undefined for a direct connection; throws on a proxy URL it cannot use. */
export function proxyFor(target: URL, env: Record<string, string | undefined> = process.env): Proxy | undefined {
  const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const from = names.find((n) => (env[n] ?? '').trim() !== '');
  if (from === undefined || bypassed(target, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
  const text = env[from]!.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`); // `proxy:3128` is taken as http://, as curl does
  } catch {
    throw new Error(`${from} is not a URL: ${JSON.stringify(text)} (expected http://host:port/)`);
  }
  if (url.protocol !== 'http:') {
    throw new Error(`${from} is ${shownProxy(url)}: a proxy URL must start with http:// (${url.protocol}// proxies are not supported; the tunnel to https hosts is still encrypted end to end)`);
  }
  return { url, from };
}

/** Whether `no_proxy` names the target's host. */
function bypassed(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[|\](?=:|$)/g, ''))!;
    const name = m[1]!.replace(/^\*?\./, '');
    if (m[2] !== undefined && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The Proxy-Authorization header of a proxy URL with credentials. */
export function proxyHeaders(proxy: URL): Record<string, string> {
  if (!proxy.username && !proxy.password) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/** The proxy URL without its credentials, for messages. */
export function shownProxy(proxy: URL): string {
  const u = new URL(proxy.href);
  u.username = '';
  u.password = '';
  return u.href;
}

/**
 * An https agent whose connections are CONNECT tunnels through `proxy`: the agent's pooling and
 * keep-alive work as for direct connections, each pooled socket being a TLS session inside a
 * tunnel. A proxy that refuses the tunnel fails the request with its status.
 */
export function tunnelAgent(proxy: URL, options: https.AgentOptions): https.Agent {
  const agent = new https.Agent(options);
  type Callback = (err: Error | null, socket?: Socket) => void;
  // Agent.createConnection may answer through a callback (node's Agent passes one): the tunnel
  // is opened first, then TLS is started on its socket.
  (agent as unknown as { createConnection: (o: tls.ConnectionOptions & { host: string; port: number }, cb: Callback) => void }).createConnection = (o, cb) => {
    const authority = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: authority, headers: { host: authority, ...proxyHeaders(proxy) }, agent: false });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return cb(Object.assign(new Error(`the proxy refused the tunnel to ${authority}: HTTP ${res.statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}`), { code: 'EPROXYTUNNEL', status: res.statusCode }));
      }
      cb(null, tls.connect({ ...o, socket, servername: o.servername ?? o.host }));
    });
    req.once('error', (err) => cb(err));
    req.end();
  };
  return agent;
}
