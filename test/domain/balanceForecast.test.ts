import { forecastRunOut, recentDays } from '../../src/domain/balanceForecast';
import { DAY_MS, startOfTaipeiDay } from '../../src/domain/taipeiTime';

describe('balance forecast', () => {
  const now = new Date('2026-11-25T04:00:00Z'); // noon in Taipei
  const today = startOfTaipeiDay(now);
  const daysAgo = (n: number) => new Date(today.getTime() - n * DAY_MS);

  it('lists the last seven Asia/Taipei days, today first', () => {
    const days = recentDays(now);
    expect(days).toHaveLength(7);
    expect(days[0]).toEqual(today);
    expect(days[6]).toEqual(daysAgo(6));
  });

  it('averages the points spent since the first day with sends and projects the run-out date', () => {
    // 600 points since the start of the day 2 days ago: 2.5 days, 240 a day; 1200 left lasts 5 days.
    const forecast = forecastRunOut(
      1_200,
      [
        { day: daysAgo(2), points: 300 },
        { day: today, points: 300 },
      ],
      now,
    );
    expect(forecast.dailySpend).toBe(240);
    expect(forecast.runsOutAt).toEqual(new Date(now.getTime() + 5 * DAY_MS));
  });

  it('counts at least a whole day, so a morning burst is not read as the daily pace', () => {
    expect(forecastRunOut(100, [{ day: today, points: 50 }], now).dailySpend).toBe(50);
  });

  it('has no run-out date while nothing is spent, and says now when nothing is left', () => {
    expect(forecastRunOut(100, [], now)).toEqual({ dailySpend: 0, runsOutAt: null });
    expect(forecastRunOut(100, [{ day: today, points: 0 }], now).runsOutAt).toBeNull();
    expect(forecastRunOut(0, [{ day: today, points: 10 }], now).runsOutAt).toEqual(now);
  });
});
