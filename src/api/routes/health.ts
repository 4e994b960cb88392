import { Hono } from 'hono';

export interface HealthDeps {
  checks: Record<string, () => Promise<boolean>>;
  /** Each check gets this long; a check that has not answered counts as down, so /readyz itself never hangs. */
  checkTimeoutMs?: number;
}

/** /healthz: the process answers. /readyz: MongoDB and Temporal answer too (503 names what is down). */
export function healthRoutes({ checks, checkTimeoutMs = 500 }: HealthDeps) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = Object.fromEntries(
      await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await within(check, checkTimeoutMs)] as const)),
    );
    const down = Object.entries(results)
      .filter(([, up]) => !up)
      .map(([name]) => name);
    return c.json({ status: down.length ? 'unavailable' : 'ready', checks: results, ...(down.length ? { down } : {}) }, down.length ? 503 : 200);
  });
  return app;
}

async function within(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check().catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
