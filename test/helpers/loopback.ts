/** A test server listening on 127.0.0.1 at a free port, whose stop also ends the connections it holds open. */
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Listening {
  port: number;
  /** Tracks a socket of the server's own (a tunnel's far end) so that stop ends it too. */
  track(socket: Socket): void;
  stop(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<Listening> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  server.on('connection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    track,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
