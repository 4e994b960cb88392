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
  receipt_copies: z.number().int().min(1).max(20).optional(),
  push_receipts: z.boolean().optional(),
  push_before_reply: z.boolean().optional(),
  reported_cost: z.number().min(0).optional(),
  max_subject_length: z.number().int().min(0).max(1_000).optional(),
});

const CreditChange = z.strictObject({ credit: z.number().min(0).max(1e9) });

const InboundReply = z.strictObject({ phone: z.string().regex(/^(09\d{8}|\+8869\d{8})$/, 'must be a Taiwan mobile'), text: z.string().min(1).max(500) });

/** Delivers a customer's reply to the gateway the way this provider would; answers with the gateway's HTTP status. */
export type InboundDelivery = (reply: { national: string; text: string }) => Promise<Response>;

/** Control API mounted at /_sim on every simulator: set behaviour, read accepted sends, deliver a customer's reply. */
export function controlRoutes(state: SimulatorState, inbound?: InboundDelivery) {
  const app = new Hono();
  app.post('/inbound', async (c) => {
    if (!inbound) return c.json({ error: 'this simulator has no gateway URL for inbound replies' }, 409);
    const parsed = InboundReply.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }, 422);
    const response = await inbound({ national: nationalForm(parsed.data.phone), text: parsed.data.text });
    return c.json({ delivered: response.ok, gateway_status: response.status });
  });
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
  // Prepaid points of the account (Every8d, Mitake): a test sets them low to run a provider out of credit.
  app.get('/credit', (c) => c.json({ credit: state.credit }));
  app.put('/credit', async (c) => {
    const parsed = CreditChange.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return c.json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }, 422);
    state.setCredit(parsed.data.credit);
    return c.json({ credit: state.credit });
  });
  app.get('/sends', (c) => {
    const phone = c.req.query('phone');
    const sends = state.findSends({ ref: c.req.query('ref'), phone: phone ? nationalForm(phone) : undefined });
    return c.json({ count: sends.length, total: state.totalSends, sends });
  });
  return app;
}
