import { RestartPolicy } from '../../src/stack/restartPolicy';

describe('restart policy of supervised processes', () => {
  const options = { initialDelayMs: 500, maxDelayMs: 4_000, maxCrashes: 5, windowMs: 60_000 };

  it('restarts a crashed process with a back-off that doubles per crash in the window, capped', () => {
    const policy = new RestartPolicy({ ...options, maxCrashes: 10 });
    const delays = [0, 1, 2, 3, 4, 5].map((i) => policy.onCrash(1_000 + i * 100));
    expect(delays.map((d) => (d.action === 'restart' ? d.delayMs : d.action))).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('gives up after maxCrashes crashes within the window', () => {
    const policy = new RestartPolicy(options);
    const decisions = [0, 1, 2, 3, 4].map((i) => policy.onCrash(i * 1_000).action);
    expect(decisions).toEqual(['restart', 'restart', 'restart', 'restart', 'give_up']);
  });

  it('forgets crashes older than the window: an occasional crash always restarts quickly', () => {
    const policy = new RestartPolicy(options);
    const decisions = [0, 1, 2, 3, 4, 5, 6].map((i) => policy.onCrash(i * 61_000));
    expect(decisions.every((d) => d.action === 'restart' && d.delayMs === 500)).toBe(true);
  });
});
