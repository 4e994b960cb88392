import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
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

  const authorised = (c: Context) =>
    c.req.header('authorization') === `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` && c.req.param('sid') === accountSid;

  // The account's messages to one number, newest first (`To`, `PageSize`): what the adapter reads after an unclear call.
  app.get('/2010-04-01/Accounts/:sid/Messages.json', (c) => {
    if (!authorised(c)) return c.json(twilioError(20003, 'Authenticate', 401), 401);
    const to = c.req.query('To') ?? '';
    const pageSize = Math.min(Math.max(Number(c.req.query('PageSize')) || 50, 1), 1000);
    const sends = state
      .findSends({ phone: nationalForm(to) })
      .reverse()
      .slice(0, pageSize);
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    return c.json({
      messages: sends.map((send) =>
        messageView({
          sid: send.provider_message_id,
          to,
          from: send.from ?? null,
          messagingServiceSid: send.messaging_service_sid ?? null,
          body: send.body,
          createdAt: new Date(send.at),
          accountSid,
        }),
      ),
      page: 0,
      page_size: pageSize,
      uri,
      first_page_uri: uri,
      next_page_uri: null,
      previous_page_uri: null,
      start: 0,
      end: Math.max(sends.length - 1, 0),
    });
  });

  app.post('/2010-04-01/Accounts/:sid/Messages.json', async (c) => {
    if (!authorised(c)) return c.json(twilioError(20003, 'Authenticate', 401), 401);
    const form = await readForm(c);
    const to = form.To ?? '';
    const behaviour = state.behaviourFor(nationalForm(to));
    // A hang here is Twilio creating the message and the answer never coming back: created first, then held.
    const hangs = behaviour.failure === 'hang';
    await delayPerBehaviour(c, hangs ? { ...behaviour, failure: 'none' } : behaviour);
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
    const createdAt = new Date();
    state.recordAccepted({
      ref,
      phone: nationalForm(to),
      body: form.Body ?? '',
      provider_message_id: sid,
      at: createdAt.toISOString(),
      from: form.From,
      messaging_service_sid: form.MessagingServiceSid,
    });

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

    if (hangs) await delayPerBehaviour(c, { ...behaviour, latency_ms: 0 });
    return c.json(
      messageView({ sid, to, from: form.From ?? null, messagingServiceSid: form.MessagingServiceSid ?? null, body: form.Body ?? '', createdAt, accountSid }),
      201,
    );
  });

  return { app, state };
}

/** A Message resource as Twilio's API shows it (create answer and list entries alike). */
function messageView(m: {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  createdAt: Date;
  accountSid: string;
}) {
  const created = m.createdAt.toUTCString();
  return {
    sid: m.sid,
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    to: m.to,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    body: m.body,
    status: 'queued',
    num_segments: String(countSegments(m.body).segments),
    num_media: '0',
    direction: 'outbound-api',
    price: null,
    price_unit: 'USD',
    error_code: null,
    error_message: null,
    date_created: created,
    date_updated: created,
    date_sent: null,
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
  };
}
