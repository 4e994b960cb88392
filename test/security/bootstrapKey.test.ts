import { loadConfig } from '../../src/config';
import { createRepositories } from '../../src/db';
import { BOOTSTRAP_KEY_ID } from '../../src/db/apiKeys';
import { seedDefaults } from '../../src/db/seed';
import type { Logger } from '../../src/log';
import { adminToken, api, withDb } from '../helpers';

describe('the bootstrap admin key (ADMIN_TOKEN)', () => {
  it('stays revoked across a restart with the same token, and the start says so', async () => {
    const warnings: string[] = [];
    const log: Logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (message) => void warnings.push(message) };
    await withDb(async (db) => {
      const keys = db.collection<{ _id: string; revoked_at?: Date }>('api_keys');
      await keys.updateOne({ _id: BOOTSTRAP_KEY_ID }, { $set: { revoked_at: new Date() } });
      try {
        expect((await api('/api/v1/api-keys')).status).toBe(401);
        // What every start does with ADMIN_TOKEN.
        await seedDefaults(await createRepositories(db, loadConfig({})), adminToken(), log);
        expect((await keys.findOne({ _id: BOOTSTRAP_KEY_ID }))?.revoked_at).toBeInstanceOf(Date);
        expect((await api('/api/v1/api-keys')).status).toBe(401);
        expect(warnings).toEqual([expect.stringContaining('ADMIN_TOKEN names a revoked key')]);
      } finally {
        await keys.updateOne({ _id: BOOTSTRAP_KEY_ID }, { $unset: { revoked_at: '' } });
      }
    });
    expect((await api('/api/v1/api-keys')).status).toBe(200);
  });
});
