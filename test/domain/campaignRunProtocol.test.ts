import { createBulkActivities, type BulkDeps } from '../../src/activities/bulk';
import type { Repositories } from '../../src/db';
import type { Campaign } from '../../src/db/campaigns';

/**
 * A campaign run and a pause or delete meet without an atomic update (FerretDB v1 has none): the run records
 * itself, stores its batch, then reads the campaign; the API changes the campaign, then reads the runs and signals
 * each stored batch. These fakes record the order of the run's store calls and let the campaign change in between.
 */
function runWith(campaignReads: (Campaign | null)[]) {
  const calls: string[] = [];
  const campaign: Campaign = {
    _id: 'spring',
    name: '春季',
    cron: ['0 10 1 * *'],
    message_type: 'marketing',
    message: '【幸福氣】春季優惠',
    respect_quiet_hours: true,
    recipients: [{ index: 0, phone: { e164: '+886912345678', national: '0912345678', masked: '0912***678' } as never }],
    created_by: 'admin',
    created_at: new Date(),
  };
  let reads = 0;
  const repos = {
    campaigns: {
      get: async () => {
        calls.push('campaigns.get');
        return reads++ === 0 ? campaign : (campaignReads.shift() ?? null);
      },
    },
    campaignRuns: { record: async () => void calls.push('campaignRuns.record') },
    templates: { getByCode: async () => null },
    batches: {
      get: async () => (calls.push('batches.get'), null),
      create: async () => void calls.push('batches.create'),
    },
  } as unknown as Repositories;
  const budget = { admit: async () => new Map(), giveBack: async () => undefined } as unknown as BulkDeps['budget'];
  const activities = createBulkActivities({ repos, budget } as unknown as BulkDeps);
  return { calls, run: () => activities.createCampaignBatch({ campaignId: 'spring', runId: 'campaign-spring-run-1' }), campaign };
}

describe('a campaign run meeting a pause or a delete', () => {
  it('records itself before its batch is stored, and reads the campaign again after', async () => {
    const unchanged = runWith([]);
    const { calls, run } = runWith([{ ...unchanged.campaign }]);
    await run();
    expect(calls).toEqual(['campaigns.get', 'campaignRuns.record', 'batches.get', 'batches.create', 'campaigns.get']);
  });

  it('starts its batch paused when the campaign was paused meanwhile, and cancelled when it was deleted', async () => {
    const base = runWith([]).campaign;
    expect(await runWith([{ ...base, paused: true }]).run()).toMatchObject({ paused: true });
    expect(await runWith([null]).run()).toMatchObject({ cancelled: true });
    const untouched = await runWith([{ ...base }]).run();
    expect(untouched).not.toHaveProperty('paused');
    expect(untouched).not.toHaveProperty('cancelled');
  });
});
