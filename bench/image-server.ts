/**
 * The images benchmark's server, in a process of its own (its CPU is not the client's): N
 * generated JPEGs of COCO-like sizes (60–260 kB, 160 kB on average) held in memory, served at
 * /train2017/<12 digits>.jpg on 127.0.0.1. Prints `{"port": P}` once listening.
 *   node dist/bench/image-server.js N
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeJpeg } from '../test/helpers/jpeg.js';

export interface BenchImage {
  id: number;
  split: string;
  file: string;
  width: number;
  height: number;
  bytes: number;
}

/** The catalog both sides agree on (deterministic in the index). */
export function benchCatalog(n: number): BenchImage[] {
  return Array.from({ length: n }, (_, i) => {
    const id = 100_000 + i * 7;
    return { id, split: 'train2017', file: `${String(id).padStart(12, '0')}.jpg`, width: 480 + (i % 161), height: 360 + (i % 121), bytes: 60_000 + ((i * 104_729) % 200_001) };
  });
}

if (process.argv[1]?.endsWith('image-server.js')) {
  const catalog = benchCatalog(Number(process.argv[2] ?? 2000));
  const bodies = new Map(catalog.map((c) => [`/${c.split}/${c.file}`, makeJpeg(c.width, c.height, c.bytes)]));
  const server = http.createServer((req, res) => {
    const body = bodies.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length }).end(body);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
}
