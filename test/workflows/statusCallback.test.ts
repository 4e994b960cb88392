import { SMS_TASK_QUEUE } from '../../src/domain/sms';
import { statusCallbackId, type StatusCallbackInput } from '../../src/domain/statusCallback';
import { statusCallbackWorkflow } from '../../src/workflows';
import { freshId, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

function callbackInput(messageId: string, sequence = 1): StatusCallbackInput {
  return {
    callbackId: statusCallbackId(messageId, sequence),
    url: 'https://orders.example.com/sms/status',
    keyId: 'key_test',
    payload: {
      message_id: messageId,
      sequence,
      status: 'sent',
      previous_status: 'queued',
      provider: 'every8d',
      provider_message_id: 'e8d-1',
      error: null,
      occurred_at: '2026-11-27T00:00:00.000Z',
      reference: null,
    },
  };
}

const run = (answers: number[], messageId = freshId('msg')) => {
  h.fake.reset({ callbackAnswers: answers });
  const input = callbackInput(messageId);
  return h.client.workflow.execute(statusCallbackWorkflow, { workflowId: input.callbackId, taskQueue: SMS_TASK_QUEUE, args: [input] });
};

describe('statusCallbackWorkflow', () => {
  it('retries a failing receiver with back-off until it answers 2xx, then records the delivery', async () => {
    expect(await run([500, 503, 200])).toEqual({ outcome: 'delivered', httpStatus: 200 });
    expect(h.fake.named('postStatusCallback')).toHaveLength(3);
    expect(h.fake.named('recordCallbackOutcome').map((c) => c.input)).toEqual([expect.objectContaining({ outcome: 'delivered', httpStatus: 200 })]);
  });

  it('retries 408 and 429 like a server error', async () => {
    expect(await run([429, 408, 204])).toEqual({ outcome: 'delivered', httpStatus: 204 });
    expect(h.fake.named('postStatusCallback')).toHaveLength(3);
  });

  it('gives up at once on a 4xx refusal and records why', async () => {
    expect(await run([400])).toEqual({ outcome: 'gave_up', httpStatus: 400, reason: 'receiver answered HTTP 400' });
    expect(h.fake.named('postStatusCallback')).toHaveLength(1);
    expect(h.fake.named('recordCallbackOutcome').map((c) => c.input)).toEqual([expect.objectContaining({ outcome: 'gave_up', httpStatus: 400 })]);
  });
});
