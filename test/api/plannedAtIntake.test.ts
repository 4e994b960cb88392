// A message sent at once has its route planned by intake: its workflow's first task goes straight to the provider.
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { countedState } from '../../src/db/messageAggregates';
import type { SmsMessage } from '../../src/db/messages';
import { expectedRollups } from '../../src/db/rebuildAggregates';
import { rollupId } from '../../src/domain/rollups';
import { workflowIdFor } from '../../src/domain/sms';
import { api, randomMobile, sendSms, waitForFinal, withDb, withTemporal, withoutZeros } from '../helpers';

const { EventType } = temporal.api.enums.v1;
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The history's event types up to its first provider activity, and that activity's type. */
async function untilProviderCall(messageId: string): Promise<{ before: number[]; markers: string[]; activity?: string }> {
  return withTemporal(async (client) => {
    const events = (await client.workflow.getHandle(workflowIdFor(messageId)).fetchHistory()).events ?? [];
    const at = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    const before = events.slice(0, at < 0 ? events.length : at);
    return {
      before: before.map((e) => Number(e.eventType)),
      // Local activities and patches both leave markers: 'core_local_activity' and 'core_patch'.
      markers: before.flatMap((e) => (e.markerRecordedEventAttributes?.markerName ? [e.markerRecordedEventAttributes.markerName] : [])),
      activity: events[at]?.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined,
    };
  });
}

async function storedMessage(id: string): Promise<SmsMessage> {
  return (await withDb((db) => db.collection<SmsMessage>('sms_messages').findOne({ _id: id })))!;
}

/** The template's rollup as stored, polled while the worker's coalesced counter writes land. */
async function templateRollupSettlesTo(code: string, expected: unknown): Promise<unknown> {
  let cells: unknown;
  for (let i = 0; i < 40; i++) {
    const doc = await withDb((db) => db.collection<{ _id: string; cells: unknown }>('sms_rollups').findOne({ _id: rollupId.template(code) }));
    cells = withoutZeros(doc?.cells);
    if (JSON.stringify(cells) === JSON.stringify(expected)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return cells;
}

describe('route planned at intake', () => {
  it('starts an order confirmation with its provider call, and counts the message once', async () => {
    const code = `confirm_${randomBytes(4).toString('hex')}`;
    const created = await api('/api/v1/notifications/sms-templates', {
      method: 'POST',
      body: JSON.stringify({ code, name: '訂單確認', content: '【幸福氣】{name}您好，訂單已確認' }),
    });
    expect(created.status).toBe(201);
    const { body } = await sendSms({ phone: randomMobile(), template_code: code, template_data: { name: '王先生' }, message_type: 'order_confirmation' });
    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d' });

    // No planning step (a local activity's marker) before the provider call: the route came in the workflow's input.
    const { before, markers, activity } = await untilProviderCall(body.message_id);
    expect(activity).toBe('sendAndRecord');
    expect(markers).not.toContain(LOCAL_ACTIVITY_MARKER);
    expect(before.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toHaveLength(1);

    // Counted by its first change in the worker, in the state it is in now, and only once.
    const stored = await storedMessage(body.message_id);
    expect(stored.counted).toEqual(countedState(stored));
    const expected = expectedRollups([stored]).get(rollupId.template(code));
    expect(expected).toBeDefined();
    expect(await templateRollupSettlesTo(code, expected)).toEqual(expected);
  });

  it('leaves a held message to plan in its workflow when its time comes', async () => {
    const sendAt = Date.now() + 2_000;
    const { body } = await sendSms({ phone: randomMobile(), message: '【幸福氣】稍後配送', scheduled_at: new Date(sendAt).toISOString() });
    expect(body.status).toBe('scheduled');
    expect(await waitForFinal(body.message_id)).toMatchObject({ status: 'delivered' });
    const { before, markers, activity } = await untilProviderCall(body.message_id);
    expect(activity).toBe('sendAndRecord');
    // admitScheduled, then prepareSend once the timer fired: the route is read when the message may go.
    expect(markers.filter((name) => name === LOCAL_ACTIVITY_MARKER)).toHaveLength(2);
    expect(before).toContain(EventType.EVENT_TYPE_TIMER_FIRED);
  });
});
