import { api, randomMobile } from '../helpers';

/**
 * README: "audit_log records every admin action". Every admin-only change the API documents is listed here with a
 * request that performs it and the audit action it must leave; a new admin route without an entry fails the first
 * test, a route that stops auditing fails the second.
 */
const campaigns = '/api/v1/notifications/campaigns';
const state: { campaignId?: string; apiKeyId?: string; templateId?: string; phone: string } = { phone: randomMobile() };
const post = (path: string, body: unknown = {}) => api(path, { method: 'POST', body: JSON.stringify(body) });
const put = (path: string, body: unknown) => api(path, { method: 'PUT', body: JSON.stringify(body) });

/** `METHOD /openapi/path` → a request performing it (status 2xx expected) and the audit action it records. */
const ADMIN_ACTIONS: Record<string, { perform: () => Promise<{ status: number; body: any }>; action: string }> = {
  'POST /api/v1/api-keys': {
    perform: async () => {
      const r = await post('/api/v1/api-keys', { name: 'audit test', role: 'viewer' });
      state.apiKeyId = r.body.id;
      return r;
    },
    action: 'api_key.created',
  },
  'PATCH /api/v1/api-keys/{id}': {
    perform: () => api(`/api/v1/api-keys/${state.apiKeyId}`, { method: 'PATCH', body: JSON.stringify({ callback_url: 'https://orders.example.com/sms' }) }),
    action: 'api_key.updated',
  },
  'POST /api/v1/api-keys/{id}/callback-secret': {
    perform: () => post(`/api/v1/api-keys/${state.apiKeyId}/callback-secret`),
    action: 'api_key.callback_secret_rotated',
  },
  'DELETE /api/v1/api-keys/{id}': { perform: () => api(`/api/v1/api-keys/${state.apiKeyId}`, { method: 'DELETE' }), action: 'api_key.revoked' },
  'POST /api/v1/notifications/sms-templates': {
    perform: async () => {
      const code = `audit_${Date.now()}`;
      const r = await post('/api/v1/notifications/sms-templates', { code, name: code, content: '【幸福氣】{name} 您好' });
      state.templateId = r.body.id ?? r.body.template?.id;
      return r;
    },
    action: 'template.created',
  },
  'PUT /api/v1/notifications/sms-templates/{template_id}': {
    perform: () => put(`/api/v1/notifications/sms-templates/${state.templateId}`, { name: 'audit test, renamed' }),
    action: 'template.updated',
  },
  'PUT /api/v1/notifications/providers/{name}': {
    perform: async () => put('/api/v1/notifications/providers/mitake', { priority: await priorityOf('mitake') }),
    action: 'provider.updated',
  },
  'POST /api/v1/notifications/providers': {
    perform: async () => post('/api/v1/notifications/providers', { provider: 'mitake', priority: await priorityOf('mitake') }),
    action: 'provider.updated',
  },
  'PUT /api/v1/notifications/settings/quiet-hours': {
    perform: async () => put('/api/v1/notifications/settings/quiet-hours', { windows: (await api('/api/v1/notifications/settings/quiet-hours')).body.windows }),
    action: 'settings.quiet_hours_updated',
  },
  'PUT /api/v1/notifications/settings/content-policy': {
    perform: async () => put('/api/v1/notifications/settings/content-policy', (await api('/api/v1/notifications/settings/content-policy')).body),
    action: 'settings.content_policy_updated',
  },
  'POST /api/v1/notifications/opt-outs': {
    perform: () => post('/api/v1/notifications/opt-outs', { phone: state.phone, reason: 'audit test' }),
    action: 'opt_out.added',
  },
  'DELETE /api/v1/notifications/opt-outs/{phone}': {
    perform: () => api(`/api/v1/notifications/opt-outs/${state.phone}`, { method: 'DELETE' }),
    action: 'opt_out.removed',
  },
  'POST /api/v1/notifications/retention/run': { perform: () => post('/api/v1/notifications/retention/run'), action: 'retention.triggered' },
  'POST /api/v1/notifications/alerts/evaluate': { perform: () => post('/api/v1/notifications/alerts/evaluate'), action: 'alerts.evaluated' },
  'POST /api/v1/notifications/providers/balances/refresh': {
    perform: () => post('/api/v1/notifications/providers/balances/refresh'),
    action: 'provider.balances_refreshed',
  },
  'POST /api/v1/notifications/campaigns': {
    perform: async () => {
      const r = await post(campaigns, {
        name: 'audit test',
        cron: '0 10 1 * *',
        message: '【幸福氣】安全檢查提醒',
        message_type: 'general',
        recipients: [{ phone: randomMobile() }],
      });
      state.campaignId = r.body.campaign_id;
      return r;
    },
    action: 'campaign.created',
  },
  'POST /api/v1/notifications/campaigns/{campaign_id}/pause': { perform: () => post(`${campaigns}/${state.campaignId}/pause`), action: 'campaign.paused' },
  'POST /api/v1/notifications/campaigns/{campaign_id}/unpause': {
    perform: () => post(`${campaigns}/${state.campaignId}/unpause`),
    action: 'campaign.unpaused',
  },
  'POST /api/v1/notifications/campaigns/{campaign_id}/trigger': {
    perform: () => post(`${campaigns}/${state.campaignId}/trigger`),
    action: 'campaign.triggered',
  },
  'DELETE /api/v1/notifications/campaigns/{campaign_id}': {
    perform: () => api(`${campaigns}/${state.campaignId}`, { method: 'DELETE' }),
    action: 'campaign.deleted',
  },
  'POST /api/v1/test/send-test-sms': {
    perform: () => post('/api/v1/test/send-test-sms', { phone: randomMobile(), provider: 'mitake' }),
    action: 'test_sms.sent',
  },
};

async function priorityOf(provider: string): Promise<number> {
  return (await api('/api/v1/notifications/providers')).body.providers.find((p: any) => p.name === provider || p.provider === provider).priority;
}

describe('every admin action is audited', () => {
  it('lists every admin-only change the API documents', async () => {
    const spec = (await api('/openapi.json')).body;
    // An operation without `x-roles` is admin-only (see src/api/routeRoles.ts).
    const adminChanges = Object.entries(spec.paths as Record<string, Record<string, { 'x-roles'?: string[] }>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => method !== 'get' && !op['x-roles'])
        .map(([method]) => ({ method: method.toUpperCase(), path })),
    );
    expect(adminChanges.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(Object.keys(ADMIN_ACTIONS).sort());
  });

  it.each(Object.entries(ADMIN_ACTIONS).map(([route, { perform, action }]) => [route, action, perform] as const))(
    '%s writes %s',
    async (_route, action, perform) => {
      const since = new Date(Date.now() - 1000);
      const response = await perform();
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
      const entries = (await api(`/api/v1/audit-log?action=${action}&limit=5`)).body.entries as { at: string; actor: string }[];
      const recent = entries.filter((e) => new Date(e.at) >= since);
      expect(recent.length).toBeGreaterThan(0);
      expect(recent[0].actor).toEqual(expect.any(String));
    },
  );
});
