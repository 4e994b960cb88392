import { Hono } from 'hono';

export interface HealthDeps {
  checks: Record<string, () => Promise<boolean>>;
}

/** /healthz: the process answers. /readyz: MongoDB and Temporal answer too (503 names what is down). */
export function healthRoutes({ checks }: HealthDeps) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = Object.fromEntries(await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await check()] as const)));
    const ready = Object.values(results).every(Boolean);
    return c.json({ status: ready ? 'ready' : 'unavailable', checks: results }, ready ? 200 : 503);
  });
  return app;
}
