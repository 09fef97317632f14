/**
 * A real listening socket that a test says must never be reached: it counts every connection and
 * closes it at once, so "0 contacts" is judged by where traffic went, not by what was answered.
 */
import { createServer } from 'node:net';

export interface ForbiddenListener {
  readonly port: number;
  /** Connections accepted so far. */
  contacts(): number;
  close(): Promise<void>;
}

export async function startForbiddenListener(): Promise<ForbiddenListener> {
  let contacts = 0;
  const server = createServer((socket) => {
    contacts++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    contacts: () => contacts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
