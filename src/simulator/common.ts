import type { Context } from 'hono';
import { sleep, type Behaviour } from './state';

/** Longest a `hang` holds a request: far past any sane client timeout, short enough to end with the process. */
const HANG_MS = 120_000;

/** Applies latency and, for `hang`, waits until the caller gives up (or HANG_MS passes). */
export async function delayPerBehaviour(c: Context, behaviour: Behaviour): Promise<void> {
  if (behaviour.latency_ms) await sleep(behaviour.latency_ms);
  if (behaviour.failure === 'hang') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HANG_MS);
      timer.unref();
      c.req.raw.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Fires a delivery receipt later, as the real provider would; failures are ignored like a real carrier's. */
export function scheduleReceipt(delayMs: number, send: () => Promise<unknown>): void {
  const timer = setTimeout(() => void send().catch(() => undefined), delayMs);
  timer.unref();
}

export async function readForm(c: Context): Promise<Record<string, string>> {
  const fields: Record<string, string> = { ...c.req.query() };
  const body = await c.req.parseBody().catch(() => ({}));
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') fields[k] = v;
  return fields;
}
