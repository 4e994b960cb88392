import { randomUUID } from 'node:crypto';
import twilio from 'twilio';
import { SIMULATOR_CREDENTIALS } from '../../src/simulator/credentials';
import type { LaunchedStack } from '../../src/stack/launcher/launch';

/** What the burst has accepted so far: message ids, and the numbers they went to. */
export interface BurstSoFar {
  ids: string[];
  phones: string[];
}

/** Answers to the storm's own callbacks, by kind: a forged one must be refused, one for an unknown id acknowledged. */
export interface StormTally {
  forged: { sent: number; refused: number };
  unknown: { sent: number; acknowledged: number };
}

/**
 * Alongside the simulators' own receipts (each sent 5 times, out of order), callbacks nobody should trust or that
 * match nothing: forged ones (wrong webhook token, bad Twilio signature) that say a real message was NOT delivered,
 * and well-authenticated ones for ids we never issued. Runs for `ms`.
 */
export async function stormCallbacks(stack: LaunchedStack, webhookToken: string, burst: BurstSoFar, ms: number): Promise<StormTally> {
  const tally: StormTally = { forged: { sent: 0, refused: 0 }, unknown: { sent: 0, acknowledged: 0 } };
  const hook = (path: string) => `${stack.apiUrl}/api/v1/webhooks/sms/${path}`;
  const count = (kind: 'forged' | 'unknown', response: Response | undefined) => {
    tally[kind].sent++;
    if (kind === 'forged' && (response?.status === 401 || response?.status === 403)) tally.forged.refused++;
    if (kind === 'unknown' && response?.ok) tally.unknown.acknowledged++;
  };
  const twilioPost = (messageId: string, authToken: string, status: string) => {
    const url = hook(`twilio?message_id=${messageId}`);
    const params = { MessageSid: `SM${randomUUID().replace(/-/g, '')}`, AccountSid: SIMULATOR_CREDENTIALS.twilio.account_sid, MessageStatus: status };
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params) },
      body: new URLSearchParams(params).toString(),
    });
  };
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const k = Math.floor(Math.random() * burst.ids.length);
    const id = burst.ids[k];
    const phone = burst.phones[k];
    if (!id) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    // Every8d's batch id for that number (its simulator may be refusing connections just now: then none).
    const realBatch = await fetch(`${stack.simUrls.every8d}/_sim/sends?phone=${phone}`)
      .then(async (r) => ((await r.json()) as { sends: { provider_message_id: string }[] }).sends[0]?.provider_message_id)
      .catch(() => undefined);
    const wrong = 'forged-token-0123456789';
    await Promise.all([
      realBatch &&
        fetch(hook(`every8d?token=${wrong}&BatchID=${realBatch}&STATUS=101&RM=%2B886900000000`)).then(
          (r) => count('forged', r),
          () => count('forged', undefined),
        ),
      fetch(hook(`mitake?message_id=${id}&token=${wrong}&msgid=1234567890&StatusFlag=5`)).then(
        (r) => count('forged', r),
        () => count('forged', undefined),
      ),
      twilioPost(id, 'not-the-twilio-auth-token', 'undelivered').then(
        (r) => count('forged', r),
        () => count('forged', undefined),
      ),
      fetch(hook(`every8d?token=${webhookToken}&BatchID=${randomUUID()}&STATUS=100`)).then(
        (r) => count('unknown', r),
        () => count('unknown', undefined),
      ),
      fetch(hook(`mitake?message_id=${randomUUID()}&token=${webhookToken}&msgid=1234567890&StatusFlag=4`)).then(
        (r) => count('unknown', r),
        () => count('unknown', undefined),
      ),
      twilioPost(randomUUID(), SIMULATOR_CREDENTIALS.twilio.auth_token, 'delivered').then(
        (r) => count('unknown', r),
        () => count('unknown', undefined),
      ),
    ]);
    await new Promise((r) => setTimeout(r, 100));
  }
  return tally;
}
