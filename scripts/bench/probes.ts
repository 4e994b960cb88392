type Api = (path: string, init?: RequestInit) => Promise<any>;

export interface ProbeResult {
  status: string;
  /** From the API request to the provider simulator accepting the send. */
  toProviderMs?: number;
  /** From the API request to the final status being stored (receipt applied). */
  toFinalMs?: number;
}

/**
 * Order confirmations sent one by one through the API while a batch runs: the customer-facing latency that a
 * campaign must not push past a second.
 */
export function startProbes(api: Api, count: number, everyMs: number) {
  const sent: { phone: string; at: number; messageId?: string }[] = [];
  const timer = setInterval(() => {
    if (sent.length >= count) return clearInterval(timer);
    const phone = `0988${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
    const probe: (typeof sent)[number] = { phone, at: Date.now() };
    sent.push(probe);
    void api('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify({ phone, message: '【幸福氣】您的訂單已確認，司機將於30分鐘內送達。', message_type: 'order_confirmation' }),
    }).then((r) => (probe.messageId = r.message_id));
  }, everyMs);

  return {
    async results(...simUrls: string[]): Promise<ProbeResult[]> {
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
        const sends = (await Promise.all(simUrls.map(async (url) => ((await (await fetch(`${url}/_sim/sends?phone=${probe.phone}`)).json()) as { sends: { at: string }[] }).sends))).flat();
        out.push({
          status,
          ...(sends[0] ? { toProviderMs: Date.parse(sends[0].at) - probe.at } : {}),
          ...(finishedAt ? { toFinalMs: Date.parse(finishedAt) - probe.at } : {}),
        });
      }
      return out;
    },
  };
}
