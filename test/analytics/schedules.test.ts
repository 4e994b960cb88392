import { ensureIntervalSchedule } from '../../src/temporal/ensureSchedule';
import { ALERT_SCHEDULE_ID, alertsWorkflow } from '../../src/workflows/alerts';
import { withTemporal } from '../helpers';

describe("the service's interval schedules", () => {
  it("follow a changed interval setting on the next start, and keep an operator's pause", async () => {
    await withTemporal(async (client) => {
      const handle = client.schedule.getHandle(ALERT_SCHEDULE_ID);
      const configured = (await handle.describe()).spec.intervals?.[0]?.every;
      expect(configured).toEqual(expect.any(Number));
      // As a schedule made under an older setting would be, and paused by an operator.
      await handle.update((s) => ({ ...s, spec: { ...s.spec, intervals: [{ every: '17m' }] } }));
      await handle.pause('paused by the test');
      try {
        expect(await ensureIntervalSchedule(client, ALERT_SCHEDULE_ID, configured!, alertsWorkflow)).toEqual({ replacedEveryMs: 17 * 60_000 });
        const after = await handle.describe();
        expect(after.spec.intervals).toEqual([expect.objectContaining({ every: configured })]);
        expect(after.state).toMatchObject({ paused: true, note: 'paused by the test' });
        // Already in line: nothing to replace.
        expect(await ensureIntervalSchedule(client, ALERT_SCHEDULE_ID, configured!, alertsWorkflow)).toEqual({});
      } finally {
        await handle.unpause();
      }
    });
  });
});
