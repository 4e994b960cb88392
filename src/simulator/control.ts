import { Hono } from 'hono';
import { z } from 'zod';
import { nationalForm, type SimulatorState } from './state';

const BehaviourChange = z.strictObject({
  phone: z.string().optional(),
  latency_ms: z.number().int().min(0).max(120_000).optional(),
  failure: z.enum(['none', 'http_500', 'hang', 'error_code', 'invalid_number']).optional(),
  error_code: z.string().optional(),
  receipt: z.enum(['delivered', 'undelivered', 'none']).optional(),
  receipt_delay_ms: z.number().int().min(0).max(3_600_000).optional(),
  push_receipts: z.boolean().optional(),
  push_before_reply: z.boolean().optional(),
  reported_cost: z.number().min(0).optional(),
});

/** Control API mounted at /_sim on every simulator: set behaviour, read accepted sends. */
export function controlRoutes(state: SimulatorState) {
  const app = new Hono();
  app.put('/behaviour', async (c) => {
    const parsed = BehaviourChange.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }, 422);
    const { phone, ...change } = parsed.data;
    state.setBehaviour(change, phone ? nationalForm(phone) : undefined);
    return c.json({ ok: true });
  });
  app.delete('/behaviour', (c) => {
    state.reset();
    return c.json({ ok: true });
  });
  app.get('/sends', (c) => {
    const phone = c.req.query('phone');
    const sends = state.findSends({ ref: c.req.query('ref'), phone: phone ? nationalForm(phone) : undefined });
    return c.json({ count: sends.length, total: state.totalSends, sends });
  });
  return app;
}
