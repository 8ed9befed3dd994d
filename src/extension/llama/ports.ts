import { createServer } from 'node:net';

/** What a port setting may be, as the sentences that reject one say it. */
export const PORT_RULE = 'a whole number from 1 to 65535, or 0 for any free port';

/** 0 (any free port) or 1-65535; anything else makes Node throw its own RangeError at bind time. */
export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** Resolves true when `port` can be bound on 127.0.0.1 right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free now (another program could still take it before we bind). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true once `port` can be bound on 127.0.0.1, false when it is still taken after `withinMs`. */
export async function waitUntilPortFree(port: number, withinMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    if (await isPortFree(port)) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
