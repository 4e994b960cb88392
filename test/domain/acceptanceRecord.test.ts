import { acceptanceRecordedFor } from '../../src/activities/provider';
import type { AttemptRecord, SmsMessage } from '../../src/db/messages';

const at = (s: number) => new Date(Date.UTC(2026, 11, 4, 10, 0, s));
const attempt = (provider: AttemptRecord['provider'], started: number, outcome?: AttemptRecord['outcome']): AttemptRecord => ({
  provider,
  attempt: 1,
  started_at: at(started),
  ...(outcome ? { finished_at: at(started + 1), outcome } : {}),
});
const message = (over: Partial<SmsMessage>): SmsMessage => ({ _id: 'm', status: 'sent', attempts: [], events: [], ...over }) as unknown as SmsMessage;

describe('whether a retried send finds its acceptance on record', () => {
  it('finds it when the provider accepted and the acceptance was recorded', () => {
    const sent = message({
      provider: 'every8d',
      provider_message_id: 'B1',
      sent_at: at(2),
      attempts: [attempt('every8d', 0, 'error'), attempt('every8d', 1, 'accepted')],
    });
    expect(acceptanceRecordedFor(sent, 'every8d')).toBe(true);
    expect(acceptanceRecordedFor(sent, 'mitake')).toBe(false);
  });

  it('does not take the first provider’s acceptance for the next one’s, once a message is rerouted', () => {
    // every8d accepted at 2 s and reported undelivered; mitake's first attempt started at 5 s and failed.
    const rerouted = message({
      status: 'sending',
      provider: 'mitake',
      provider_message_id: 'E1',
      sent_at: at(2),
      attempts: [attempt('every8d', 1, 'accepted'), attempt('mitake', 5, 'error')],
    });
    expect(acceptanceRecordedFor(rerouted, 'mitake')).toBe(false);
    // Its worker died during the call instead: the open attempt counts the same.
    expect(acceptanceRecordedFor({ ...rerouted, attempts: [attempt('every8d', 1, 'accepted')], open_attempt: attempt('mitake', 5) }, 'mitake')).toBe(false);
    // Once mitake's acceptance is recorded, a retry finds it.
    expect(
      acceptanceRecordedFor(
        {
          ...rerouted,
          status: 'sent',
          provider_message_id: 'M1',
          sent_at: at(7),
          attempts: [attempt('every8d', 1, 'accepted'), attempt('mitake', 5, 'accepted')],
        },
        'mitake',
      ),
    ).toBe(true);
  });

  it('goes by the order of attempts, not their times: workers stamp them with their own clocks', () => {
    // mitake's first attempt failed on a worker whose clock runs 3 s ahead; the second, on another, was accepted.
    const skewed = message({
      provider: 'mitake',
      provider_message_id: 'M1',
      sent_at: at(9),
      attempts: [attempt('mitake', 10, 'error'), attempt('mitake', 8, 'accepted')],
    });
    expect(acceptanceRecordedFor(skewed, 'mitake')).toBe(true);
    // And the other way: an attempt that failed after the acceptance, stamped earlier than the send.
    expect(acceptanceRecordedFor({ ...skewed, attempts: [attempt('mitake', 8, 'accepted'), attempt('mitake', 7, 'error')] }, 'mitake')).toBe(false);
  });

  it('finds nothing before any acceptance', () => {
    expect(acceptanceRecordedFor(message({ status: 'sending', provider: 'twilio', open_attempt: attempt('twilio', 0) }), 'twilio')).toBe(false);
  });
});
