/**
 * A real forward proxy on 127.0.0.1 (port 0), as squid or a cluster's gateway would be: GETs in
 * absolute form are forwarded, CONNECT opens a tunnel. It records what it was asked, and can
 * demand Basic credentials (407 without them). Only loopback targets are served.
 */
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { listenOnLoopback, type Listening } from './loopback.js';

export class ProxyServer {
  /** The absolute-form targets of the GETs it forwarded. */
  readonly gets: string[] = [];
  /** The host:port of each tunnel it opened. */
  readonly tunnels: string[] = [];
  /** Requests refused for want of credentials. */
  refused = 0;
  private listening!: Listening;
  port = 0;

  /** `credentials`: "user:password" it demands, if any. */
  constructor(private readonly credentials?: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.forward(req, res));
    server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.tunnel(req, socket, head));
    this.listening = await listenOnLoopback(server);
    this.port = this.listening.port;
    return this;
  }

  stop(): Promise<void> {
    return this.listening.stop();
  }

  private allowed(req: http.IncomingMessage): boolean {
    if (!this.credentials) return true;
    const ok = req.headers['proxy-authorization'] === `Basic ${Buffer.from(this.credentials).toString('base64')}`;
    if (!ok) this.refused++;
    return ok;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.allowed(req)) return void res.writeHead(407, 'Proxy Authentication Required', { 'proxy-authenticate': 'Basic realm="test"' }).end();
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400, 'Not an absolute URL').end();
    }
    if (target.hostname !== '127.0.0.1') return void res.writeHead(403, 'Loopback only').end();
    this.gets.push(target.href);
    const upstream = http.get(target, { headers: { 'user-agent': String(req.headers['user-agent'] ?? '') } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502, 'Bad Gateway').end());
  }

  private tunnel(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    if (!this.allowed(req)) return void socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') return void socket.end('HTTP/1.1 403 Loopback only\r\n\r\n');
    this.tunnels.push(req.url!);
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    this.listening.track(upstream);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
}
