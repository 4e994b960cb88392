import { createServer } from 'node:net';

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * Where ports are picked: below Linux's ephemeral range (32768–60999), from which the OS takes the source port of
 * every outgoing connection and every `listen(0)` (the Temporal dev server's internal services). A port picked in
 * that range could be taken by one of those between the check here and the server binding it.
 */
const LOWEST = 10_000;
const HIGHEST = 32_000;

/** `count` consecutive free ports (the simulators take base, base+1, base+2). */
export async function freePorts(count: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}
