import { loadConfig } from '../../src/config';
import { createRepositories } from '../../src/db';
import { seedDefaults } from '../../src/db/seed';
import { createLogger } from '../../src/log';
import { DEFAULT_TEMPLATES, SUPERSEDED_DEFAULTS } from '../../src/domain/defaultTemplates';
import { adminToken, api, withDb } from '../helpers';

const templatesPath = '/api/v1/notifications/sms-templates';
/** Runs start-up's seeding (also `npm run seed`) against the running stack's database. */
const seedAgain = () => withDb(async (db) => seedDefaults(await createRepositories(db, loadConfig({})), adminToken(), createLogger('test')));
const byCode = async (code: string) => ((await api(`${templatesPath}?is_active=true`)).body.templates as any[]).find((t) => t.code === code);
/** Puts a template back in the state an earlier release's seeding left it in (as an old database holds it). */
const storeAsOldRelease = (code: string) => withDb((db) => db.collection('sms_templates').updateOne({ code }, { $set: SUPERSEDED_DEFAULTS[code][0] }));

describe('default templates on a database seeded by an earlier release', () => {
  it('moves an untouched old default to the document text as a new, audited version, once', async () => {
    await storeAsOldRelease('delivery_completed');
    const before = await byCode('delivery_completed');
    expect(before.placeholders).toEqual(['order_number']);

    expect(await seedAgain()).toEqual({ created: [], upgraded: ['delivery_completed'] });
    const after = await byCode('delivery_completed');
    const expected = DEFAULT_TEMPLATES.find((t) => t.code === 'delivery_completed')!;
    expect(after).toMatchObject({ id: before.id, name: expected.name, content: expected.content, version: before.version + 1 });

    const audit = (await api(`/api/v1/audit-log?action=template.default_upgraded&target_id=${before.id}&limit=1`)).body.entries[0];
    expect(audit).toMatchObject({
      actor: 'system',
      before: { content: SUPERSEDED_DEFAULTS.delivery_completed[0].content, version: before.version },
      after: { content: expected.content, version: before.version + 1 },
    });

    expect(await seedAgain()).toEqual({ created: [], upgraded: [] });
    expect((await byCode('delivery_completed')).version).toBe(after.version);
  });

  it("never overwrites an operator's edit of an old default", async () => {
    await storeAsOldRelease('delivery_arrived');
    const old = await byCode('delivery_arrived');
    const edited = await api(`${templatesPath}/${old.id}`, {
      method: 'PUT',
      body: JSON.stringify({ content: '【幸福氣】司機{driver_name}已到門口，請開門。', version: old.version }),
    });
    expect(edited.status).toBe(200);

    expect((await seedAgain()).upgraded).toEqual([]);
    expect(await byCode('delivery_arrived')).toMatchObject({ content: '【幸福氣】司機{driver_name}已到門口，請開門。', version: edited.body.version });

    // Back to the document's text for the other tests, as an operator would.
    const restored = await api(`${templatesPath}/${old.id}`, {
      method: 'PUT',
      body: JSON.stringify({ name: '已到達', content: DEFAULT_TEMPLATES.find((t) => t.code === 'delivery_arrived')!.content }),
    });
    expect(restored.status).toBe(200);
  });
});
