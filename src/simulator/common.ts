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

/**
 * Fires a message's receipt callbacks later, as the real provider would, in order; failures are ignored like a real
 * carrier's. With `receipt_copies` > 1 (a receipt storm) each callback is sent that many times, each copy at its own
 * random moment within three receipt delays, so copies and a message's successive callbacks arrive out of order.
 */
export function scheduleReceipts(behaviour: Pick<Behaviour, 'receipt_delay_ms' | 'receipt_copies'>, callbacks: (() => Promise<unknown>)[]): void {
  const later = (ms: number, send: () => Promise<unknown>) => setTimeout(() => void send().catch(() => undefined), ms).unref();
  const copies = behaviour.receipt_copies ?? 1;
  if (copies <= 1) {
    later(behaviour.receipt_delay_ms, async () => {
      for (const callback of callbacks) await callback();
    });
    return;
  }
  for (const callback of callbacks) {
    for (let copy = 0; copy < copies; copy++) later(behaviour.receipt_delay_ms + Math.random() * 2 * (behaviour.receipt_delay_ms + 500), callback);
  }
}

export async function readForm(c: Context): Promise<Record<string, string>> {
  const fields: Record<string, string> = { ...c.req.query() };
  const body = await c.req.parseBody().catch(() => ({}));
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') fields[k] = v;
  return fields;
}
