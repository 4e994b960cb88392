import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import twilio from 'twilio';
import { countSegments } from '../domain/segments';
import { controlRoutes, type InboundDelivery } from './control';
import { delayPerBehaviour, readForm, scheduleReceipts } from './common';
import { SimulatorState, nationalForm } from './state';

export interface TwilioSimOptions {
  accountSid: string;
  authToken: string;
  /** The number's "A message comes in" webhook on the gateway. */
  inboundUrl?: string;
}

const twilioError = (code: number, message: string, status: number) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

/** Twilio Messages API: Basic auth, form body, 201 JSON; then signed StatusCallback posts (sent, then final). */
export function twilioSimulator({ accountSid, authToken, inboundUrl }: TwilioSimOptions) {
  const state = new SimulatorState();
  const app = new Hono();
  // An incoming message is a signed form POST like a status callback, with From, To and Body.
  const inbound: InboundDelivery | undefined = inboundUrl
    ? ({ national, text }) => {
        const sid = `SM${randomBytes(16).toString('hex')}`;
        const params = {
          MessageSid: sid,
          SmsSid: sid,
          AccountSid: accountSid,
          From: `+886${national.slice(1)}`,
          To: '+15005550006',
          Body: text,
          NumMedia: '0',
          NumSegments: '1',
          ApiVersion: '2010-04-01',
        };
        return fetch(inboundUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, inboundUrl, params),
          },
          body: new URLSearchParams(params).toString(),
        });
      }
    : undefined;
  app.route('/_sim', controlRoutes(state, inbound));

  app.post('/2010-04-01/Accounts/:sid/Messages.json', async (c) => {
    const expected = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (c.req.header('authorization') !== expected || c.req.param('sid') !== accountSid) {
      return c.json(twilioError(20003, 'Authenticate', 401), 401);
    }
    const form = await readForm(c);
    const to = form.To ?? '';
    const behaviour = state.behaviourFor(nationalForm(to));
    await delayPerBehaviour(c, behaviour);
    if (behaviour.failure === 'http_500') return c.json(twilioError(20500, 'Internal Server Error', 500), 500);
    if (behaviour.failure === 'invalid_number' || !/^\+8869\d{8}$/.test(to))
      return c.json(twilioError(21211, `The 'To' number ${to} is not a valid phone number.`, 400), 400);
    if (behaviour.failure === 'error_code') {
      const code = Number(behaviour.error_code ?? 20003);
      const status = code === 20003 ? 401 : code === 20429 ? 429 : 400;
      return c.json(twilioError(code, 'Simulated error', status), status);
    }

    const sid = `SM${randomBytes(16).toString('hex')}`;
    const callback = form.StatusCallback;
    const ref = callback ? (new URL(callback).searchParams.get('message_id') ?? undefined) : undefined;
    state.recordAccepted({ ref, phone: nationalForm(to), body: form.Body ?? '', provider_message_id: sid, at: new Date().toISOString() });

    if (callback && behaviour.receipt !== 'none') {
      const post = (status: string, extra: Record<string, string> = {}) => {
        const params = {
          MessageSid: sid,
          SmsSid: sid,
          AccountSid: accountSid,
          From: form.From ?? '',
          To: to,
          ApiVersion: '2010-04-01',
          MessageStatus: status,
          SmsStatus: status,
          ...extra,
        };
        return fetch(callback, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, callback, params),
          },
          body: new URLSearchParams(params).toString(),
        });
      };
      scheduleReceipts(behaviour, [() => post('sent'), () => post(behaviour.receipt, behaviour.receipt === 'undelivered' ? { ErrorCode: '30003' } : {})]);
    }

    const now = new Date().toUTCString();
    return c.json(
      {
        sid,
        account_sid: accountSid,
        api_version: '2010-04-01',
        to,
        from: form.From ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        body: form.Body ?? '',
        status: 'queued',
        num_segments: String(countSegments(form.Body ?? '').segments),
        num_media: '0',
        direction: 'outbound-api',
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
      },
      201,
    );
  });

  return { app, state };
}
