import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { countSegments } from '../domain/segments';
import { controlRoutes, type InboundDelivery } from './control';
import { taipeiStamp } from '../domain/taipeiTime';
import { delayPerBehaviour, readForm, scheduleReceipts } from './common';
import { SimulatorState } from './state';

export interface Every8dSimOptions {
  username: string;
  password: string;
  /** Every8d pushes receipts to one URL configured on the account, not per message. */
  callbackUrl?: string;
  /** Prepaid points the account starts with. */
  credit?: number;
}

interface Batch {
  mobile: string;
  cost: number;
  sentAt: Date;
  /** STATUS once the receipt time has passed; 0 (at carrier) before that. */
  finalStatus?: string;
  finalAt: number;
}

/** Every8d API 2.1: sendSMS.ashx CSV reply, getDeliveryStatus.ashx TAB reply, GET push to the account callback. */
export function every8dSimulator({ username, password, callbackUrl, credit }: Every8dSimOptions) {
  const state = new SimulatorState(credit);
  const batches = new Map<string, Batch>();
  const app = new Hono();
  // A reply arrives on the account callback as STATUS 999 with the text in SM.
  const inbound: InboundDelivery | undefined = callbackUrl
    ? ({ national, text }) => {
        const url = new URL(callbackUrl);
        const params = { BatchID: '', RM: `+886${national.slice(1)}`, RT: taipeiStamp(), STATUS: '999', SM: text, ST: taipeiStamp(), MR: '', USERID: username };
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        return fetch(url);
      }
    : undefined;
  app.route('/_sim', controlRoutes(state, inbound));

  const authorised = (form: Record<string, string>) => form.UID === username && form.PWD === password;

  app.post('/API21/HTTP/sendSMS.ashx', async (c) => {
    const form = await readForm(c);
    if (!authorised(form)) return c.text('-2,帳號或密碼錯誤');
    const dest = form.DEST ?? '';
    const behaviour = state.behaviourFor(dest);
    await delayPerBehaviour(c, behaviour);
    if (behaviour.failure === 'http_500') return c.text('Internal Server Error', 500);
    if (behaviour.failure === 'invalid_number' || !/^09\d{8}$/.test(dest)) return c.text('-8,手機號碼格式錯誤');
    if (behaviour.failure === 'error_code') return c.text(`${behaviour.error_code ?? '-99'},主機端發生不明錯誤`);
    const subject = form.SB ?? '';
    if (behaviour.max_subject_length !== undefined && subject.length > behaviour.max_subject_length) return c.text('-15,主旨長度超過限制');

    const batchId = randomUUID();
    const cost = behaviour.reported_cost ?? countSegments(form.MSG ?? '').segments;
    // Too few points is no error code: nothing is sent, the recipient counts in UNSEND, CREDIT says what is left.
    if (!state.charge(cost)) return c.text(`${state.credit.toFixed(2)},0,0,1,${batchId}`);
    const finalStatus = behaviour.receipt === 'none' ? undefined : behaviour.receipt === 'delivered' ? '100' : '101';
    batches.set(batchId, { mobile: `+886${dest.slice(1)}`, cost, sentAt: new Date(), finalStatus, finalAt: Date.now() + behaviour.receipt_delay_ms });
    state.recordAccepted({
      ...(subject ? { ref: subject } : {}),
      phone: dest,
      body: form.MSG ?? '',
      provider_message_id: batchId,
      at: new Date().toISOString(),
    });

    if (callbackUrl && finalStatus && behaviour.push_receipts) {
      const push = () => {
        const url = new URL(callbackUrl);
        const params = {
          BatchID: batchId,
          RM: `+886${dest.slice(1)}`,
          RT: taipeiStamp(),
          STATUS: finalStatus,
          SM: form.MSG ?? '',
          ST: taipeiStamp(),
          MR: '1',
          SUBJECT: subject,
          NAME: '',
          USERID: username,
          CHARGE: String(cost),
        };
        for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
        return fetch(url);
      };
      // The receipt reaches the gateway before the answer to the send does (so before the send is recorded).
      if (behaviour.push_before_reply) await push().catch(() => undefined);
      else scheduleReceipts(behaviour, [push]);
    }
    return c.text(`${state.credit.toFixed(2)},1,${cost},0,${batchId}`);
  });

  app.post('/API21/HTTP/getCredit.ashx', async (c) => {
    if (!authorised(await readForm(c))) return c.text('-2,帳號或密碼錯誤');
    return c.text(state.credit.toFixed(1));
  });

  app.post('/API21/HTTP/getDeliveryStatus.ashx', async (c) => {
    const form = await readForm(c);
    if (!authorised(form)) return c.text('-2,帳號或密碼錯誤');
    const batch = batches.get(form.BID ?? '');
    if (!batch) return c.text('0');
    const status = batch.finalStatus && Date.now() >= batch.finalAt ? batch.finalStatus : '0';
    const sent = batch.sentAt.toISOString().replace('T', ' ').slice(0, 19).replace(/-/g, '/');
    return c.text(`1\r\n\t${batch.mobile}\t${sent}\t${batch.cost}\t${status}\r\n`);
  });

  return { app, state };
}
