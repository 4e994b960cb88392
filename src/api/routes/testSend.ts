import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { AuditRepository } from '../../db/audit';
import { parseTaiwanPhone } from '../../domain/phone';
import { PROVIDER_NAMES } from '../../domain/sms';
import type { SmsIntake } from '../../services/smsIntake';
import type { AuthEnv } from '../auth';
import { openApiHook } from '../openapi';
import { senderFor } from '../sender';
import { ErrorResponse, PhoneInput } from '../schemas';

/** Fixed text, so a test send can never be used to text a customer arbitrary content. */
export const TEST_MESSAGE = '【幸福氣】這是一則測試簡訊 LuckyGas test message';

const TestSmsRequest = z.strictObject({ phone: PhoneInput, provider: z.enum(PROVIDER_NAMES) }).openapi('TestSmsRequest');

const route = createRoute({
  method: 'post',
  path: '/send-test-sms',
  tags: ['test'],
  summary: 'Send a fixed test message through one provider only (not available in production)',
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: TestSmsRequest } }, required: true } },
  responses: {
    202: { description: 'Queued', content: { 'application/json': { schema: z.object({ message_id: z.string(), provider: z.string(), status: z.string() }) } } },
    422: { description: 'Invalid input', content: { 'application/json': { schema: ErrorResponse } } },
  },
});

export function testSendRoutes({ intake, audit }: { intake: SmsIntake; audit: AuditRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  app.openapi(route, async (c) => {
    const { phone, provider } = c.req.valid('json');
    const parsed = parseTaiwanPhone(phone);
    if (!parsed.ok) throw new Error('unreachable: schema validated the phone');
    const { message } = await intake.accept({
      phone: parsed.phone,
      content: { text: TEST_MESSAGE },
      messageType: 'test',
      metadata: {},
      principalId: c.get('principal').id,
      sentBy: senderFor(c.get('principal')),
      forcedProvider: provider,
    });
    await audit.record({
      actor: c.get('principal').id,
      action: 'test_sms.sent',
      target: { type: 'message', id: message._id },
      after: { provider, phone: parsed.phone.masked },
    });
    return c.json({ message_id: message._id, provider, status: message.status }, 202);
  });
  return app;
}
