import type { Payload, PayloadCodec } from '@temporalio/common';
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError } from '../../errors';
import type { AuthEnv } from '../auth';
import { validationError } from '../errors';
import { allow } from '../routeRoles';

/** The Temporal remote-codec wire format: payloads with base64 metadata values and data. */
const JsonPayloads = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).default({}), data: z.string().default('') })).max(1000),
});
type JsonPayload = z.infer<typeof JsonPayloads>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * Codec endpoint for operators: the Temporal UI and CLI send encrypted payloads here and get them back readable
 * (`/decode`), or the reverse (`/encode`). Behind the same bearer authentication as the API
 * (sender and viewer too: reading payloads is part of following a message).
 */
export function codecRoutes(codec: PayloadCodec) {
  const app = new Hono<AuthEnv>();
  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/${direction}`, allow('sender', 'viewer'), async (c) => {
      const parsed = JsonPayloads.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) throw validationError(parsed.error, 'body');
      try {
        const result = await codec[direction](parsed.data.payloads.map(fromJson));
        return c.json({ payloads: result.map(toJson) });
      } catch {
        throw new ApiError(422, 'codec_failed', `These payloads could not be ${direction}d with the configured keys`);
      }
    });
  }
  return app;
}
