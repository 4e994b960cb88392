import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventMs } from './histories';

type Api = (path: string, init?: RequestInit) => Promise<any>;

export interface ProbeResult {
  status: string;
  /** When the request was sent (epoch ms). */
  requestedAtMs: number;
  /** From the API request to the provider simulator accepting the send. */
  toProviderMs?: number;
  /** From the API request to the final status being stored (receipt applied). */
  toFinalMs?: number;
  /** Where the time to provider went: ms from the request to the API's answer, each step of the workflow's history and the provider's acceptance. */
  timeline?: string;
}

/**
 * Order confirmations sent one by one through the API while a batch runs: the customer-facing latency that a
 * campaign must not push past a second.
 */
export function startProbes(api: Api, count: number, everyMs: number) {
  const sent: { phone: string; at: number; messageId?: string; answeredAt?: number }[] = [];
  const timer = setInterval(() => {
    if (sent.length >= count) return clearInterval(timer);
    const phone = `0988${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const probe: (typeof sent)[number] = { phone, at: Date.now() };
    sent.push(probe);
    void api('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify({ phone, message: '【幸福氣】您的訂單已確認，司機將於30分鐘內送達。', message_type: 'order_confirmation' }),
    }).then((r) => {
      probe.messageId = r.message_id;
      probe.answeredAt = Date.now();
    });
  }, everyMs);

  return {
    async results(client: Client, ...simUrls: string[]): Promise<ProbeResult[]> {
      clearInterval(timer);
      const deadline = Date.now() + 120_000;
      const out: ProbeResult[] = [];
      for (const probe of sent) {
        let status = 'unknown';
        let finishedAt: string | null = null;
        while (Date.now() < deadline) {
          const m = probe.messageId ? await api(`/api/v1/notifications/sms-status/${probe.messageId}`) : undefined;
          status = m?.status ?? 'unknown';
          finishedAt = m?.finished_at ?? null;
          if (finishedAt) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        const sends = (
          await Promise.all(
            simUrls.map(async (url) => ((await (await fetch(`${url}/_sim/sends?phone=${probe.phone}`)).json()) as { sends: { at: string }[] }).sends),
          )
        ).flat();
        const toProviderMs = sends[0] ? Date.parse(sends[0].at) - probe.at : undefined;
        // The API's answer and the provider's acceptance frame the workflow's steps.
        const steps = probe.messageId ? [`answered ${probe.answeredAt! - probe.at}`, await timeline(client, probe.messageId, probe.at)] : [];
        if (steps.length && toProviderMs !== undefined) steps.push(`provider ${toProviderMs}`);
        out.push({
          status,
          requestedAtMs: probe.at,
          ...(steps.length ? { timeline: steps.join(', ') } : {}),
          ...(toProviderMs === undefined ? {} : { toProviderMs }),
          ...(finishedAt ? { toFinalMs: Date.parse(finishedAt) - probe.at } : {}),
        });
      }
      return out;
    },
  };
}

/** Started, first workflow task started, provider activity scheduled and started: ms after the request. */
async function timeline(client: Client, messageId: string, requestedAt: number): Promise<string> {
  const { EventType } = temporal.api.enums.v1;
  const wanted = new Map([
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 'started'],
    [EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, 'task'],
    [EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 'task done'],
    [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, 'activity scheduled'],
    [EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, 'activity started'],
  ]);
  const history = await client.workflow
    .getHandle(`sms-${messageId}`)
    .fetchHistory()
    .catch(() => undefined);
  const steps: string[] = [];
  for (const e of history?.events ?? []) {
    const name = wanted.get(Number(e.eventType));
    if (!name || steps.some((s) => s.startsWith(`${name} `))) continue;
    const ms = Math.floor(eventMs(e)) - requestedAt;
    steps.push(`${name} ${ms}`);
  }
  return steps.join(', ');
}
