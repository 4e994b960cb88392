import { randomInt } from 'node:crypto';
import { Hono } from 'hono';
import { countSegments } from '../domain/segments';
import { controlRoutes, type InboundDelivery } from './control';
import { taipeiStamp } from '../domain/taipeiTime';
import { delayPerBehaviour, readForm, scheduleReceipts } from './common';
import { SimulatorState } from './state';

export interface MitakeSimOptions {
  username: string;
  password: string;
  /** Where the account pushes customer replies (MO), token included. */
  inboundUrl?: string;
  /** Prepaid points the account starts with. */
  credit?: number;
}

const block = (lines: Record<string, string>, header = '1') =>
  `[${header}]\r\n${Object.entries(lines)
    .map(([k, v]) => `${k}=${v}`)
    .join('\r\n')}\r\n`;

/** Mitake SmSend: form body, INI-like reply, clientid dedup, receipt GET to the per-message `response` URL. */
export function mitakeSimulator({ username, password, inboundUrl, credit }: MitakeSimOptions) {
  const state = new SimulatorState(credit);
  const byClientId = new Map<string, string>();
  const app = new Hono();
  // Field names of Mitake's reply push are inferred (docs/providers.md): srcaddr, smbody, a receive time.
  const inbound: InboundDelivery | undefined = inboundUrl
    ? ({ national, text }) => {
        const url = new URL(inboundUrl);
        const params = { msgid: String(randomInt(1_000_000_000, 9_999_999_999)), srcaddr: national, smbody: text, rcvtime: taipeiStamp() };
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        return fetch(url);
      }
    : undefined;
  app.route('/_sim', controlRoutes(state, inbound));

  app.post('/api/mtk/SmSend', async (c) => {
    const form = await readForm(c);
    if (form.username !== username || form.password !== password) return c.text(block({ statuscode: 'e', Error: 'Invalid username or password' }));
    const dstaddr = form.dstaddr ?? '';
    const behaviour = state.behaviourFor(dstaddr);
    await delayPerBehaviour(c, behaviour);
    if (behaviour.failure === 'http_500') return c.text('Internal Server Error', 500);
    if (behaviour.failure === 'invalid_number' || !/^09\d{8}$/.test(dstaddr)) return c.text(block({ statuscode: 'v', Error: 'Invalid phone number' }));
    if (behaviour.failure === 'error_code') return c.text(block({ statuscode: behaviour.error_code ?? 'e' }));

    const clientid = form.clientid;
    const earlier = clientid ? byClientId.get(clientid) : undefined;
    if (earlier) return c.text(block({ msgid: `#${earlier}`, statuscode: '1', Duplicate: 'Y' }, clientid));

    // One point per segment; an account that cannot pay answers 帳務處理失敗 and sends nothing.
    if (!state.charge(countSegments(form.smbody ?? '').segments))
      return c.text(block({ statuscode: 's', Error: '帳務處理失敗，無法發送簡訊' }, clientid ?? '1'));
    const msgid = String(randomInt(1_000_000_000, 9_999_999_999));
    if (clientid) byClientId.set(clientid, msgid);
    state.recordAccepted({
      ref: clientid,
      phone: dstaddr,
      body: (form.smbody ?? '').replace(/\x06/g, '\n'),
      provider_message_id: msgid,
      at: new Date().toISOString(),
    });

    const callback = form.response;
    if (callback && behaviour.receipt !== 'none') {
      const submitted = taipeiStamp();
      scheduleReceipts(behaviour, [
        () => {
          const url = new URL(callback);
          const flag = behaviour.receipt === 'delivered' ? '4' : '5';
          const params = {
            msgid,
            dstaddr,
            dlvtime: submitted,
            donetime: taipeiStamp(),
            statusstr: flag === '4' ? 'DELIVRD' : 'UNDELIV',
            statuscode: '0',
            StatusFlag: flag,
          };
          for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
          return fetch(url);
        },
      ]);
    }
    return c.text(block({ msgid: `#${msgid}`, statuscode: '1', AccountPoint: String(state.credit) }, clientid ?? '1'));
  });

  // Without msgid, SmQuery answers the account's points; status queries by msgid are not simulated (`y`).
  app.post('/api/mtk/SmQuery', async (c) => {
    const form = await readForm(c);
    if (form.username !== username || form.password !== password) return c.text('e');
    if (form.msgid) return c.text('y');
    return c.text(`AccountPoint=${state.credit}\r\n`);
  });

  return { app, state };
}
