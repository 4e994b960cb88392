import { loadConfig, quietWindows } from '../../src/config';

describe('configuration from the environment', () => {
  it('reads an empty QUIET_HOURS as no quiet hours, and an unset one as the defaults', () => {
    expect(quietWindows(loadConfig({ QUIET_HOURS: '' }))).toEqual([]);
    expect(quietWindows(loadConfig({}))).toEqual([
      { start: '21:00', end: '09:00' },
      { start: '12:30', end: '13:30' },
    ]);
  });

  it('still reads other empty variables as unset', () => {
    expect(loadConfig({ JWT_SECRET: '' }).JWT_SECRET).toBeUndefined();
  });

  it('refuses a retention shorter than a message may wait to be sent', () => {
    expect(() => loadConfig({ MESSAGE_RETENTION_DAYS: '14' })).toThrow(/MESSAGE_RETENTION_DAYS.*at least 32/s);
    expect(loadConfig({ MESSAGE_RETENTION_DAYS: '32' }).MESSAGE_RETENTION_DAYS).toBe(32);
  });
});
