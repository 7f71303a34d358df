/**
 * A real HTTP (or HTTPS) server on 127.0.0.1 (port 0) that serves generated JPEGs at /<split>/<file> and
 * injects faults per path: what the images step's downloads are tested against. No test sends
 * traffic anywhere but the loopback.
 */
import http from 'node:http';
import https from 'node:https';
import { listenOnLoopback, type Listening } from './loopback.js';
import { makeJpeg } from './jpeg.js';

export type Fault =
  | { kind: '404' }
  | { kind: 'fail-then-ok'; status: number; times: number }
  | { kind: 'reset' } // a connection reset mid-body, every time
  | { kind: 'reset-then-ok'; times: number }
  | { kind: 'stall' } // headers and half the body, then silence
  | { kind: 'short-length' } // Content-Length larger than the body, then the connection closes
  | { kind: 'html' }
  | { kind: 'wrong-size' } // a JPEG of other dimensions
  | { kind: 'redirect'; to: string } // to an absolute URL or a path
  | { kind: 'slow'; ms: number } // the body trickles out over `ms`
  | { kind: 'chunked-huge'; bytes: number }; // no Content-Length, a body of `bytes`

export interface ServedImage {
  width: number;
  height: number;
  bytes?: number;
}

export class ImageServer {
  readonly requests = new Map<string, number>();
  readonly faults = new Map<string, Fault>();
  readonly images = new Map<string, ServedImage>();
  private listening!: Listening;
  port = 0;

  /** With `tls` (a key and certificate for 127.0.0.1), the server speaks https. */
  constructor(private readonly tls?: { key: Buffer; cert: Buffer }) {}

  get base(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/`;
  }

  body(path: string): Buffer {
    const img = this.images.get(path)!;
    return makeJpeg(img.width, img.height, img.bytes);
  }

  async start(): Promise<this> {
    const handle = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.listening = await listenOnLoopback(this.tls ? https.createServer(this.tls, handle) : http.createServer(handle));
    this.port = this.listening.port;
    return this;
  }

  stop(): Promise<void> {
    return this.listening.stop();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
    const n = (this.requests.get(path) ?? 0) + 1;
    this.requests.set(path, n);
    const img = this.images.get(path);
    const fault = this.faults.get(path);
    if (!img) return void res.writeHead(404).end('not found');
    const body = this.body(path);
    const jpeg = () => void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
    if (!fault) return jpeg();
    switch (fault.kind) {
      case '404':
        return void res.writeHead(404, 'Not Found').end();
      case 'fail-then-ok':
        return n <= fault.times ? void res.writeHead(fault.status).end('try later') : jpeg();
      case 'reset':
      case 'reset-then-ok':
        if (fault.kind === 'reset-then-ok' && n > fault.times) return jpeg();
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
        res.write(body.subarray(0, body.length >> 1));
        return void setTimeout(() => req.socket.resetAndDestroy(), 20);
      case 'stall':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
        return void res.write(body.subarray(0, body.length >> 1));
      case 'short-length':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length + 1000 });
        res.write(body);
        return void setTimeout(() => req.socket.destroy(), 20);
      case 'html':
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>Sign in to continue</body></html>');
      case 'wrong-size': {
        const other = makeJpeg(img.width + 1, img.height, img.bytes);
        return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': other.length }).end(other);
      }
      case 'redirect':
        return void res.writeHead(302, { location: fault.to }).end();
      case 'slow': {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
        const steps = 20;
        let i = 0;
        const tick = () => {
          const from = Math.floor((i * body.length) / steps);
          const to = Math.floor(((i + 1) * body.length) / steps);
          if (i++ === steps) return void res.end();
          if (!res.destroyed) res.write(body.subarray(from, to));
          setTimeout(tick, fault.ms / steps);
        };
        return tick();
      }
      case 'chunked-huge':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return void res.end(Buffer.alloc(fault.bytes, 0xab));
    }
  }
}
