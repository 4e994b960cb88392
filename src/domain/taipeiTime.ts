/** Asia/Taipei calendar arithmetic. Taiwan has no daylight saving time, so a fixed UTC+8 offset is exact. */
export const TAIPEI_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 24 * 3600_000;

/** The Asia/Taipei calendar date (YYYY-MM-DD) of an instant. */
export const taipeiDate = (d: Date | number): string => new Date(+d + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);

/** The instant an Asia/Taipei date (YYYY-MM-DD) begins. */
export const taipeiDayStart = (date: string): Date => new Date(`${date}T00:00:00+08:00`);

/** True for a YYYY-MM-DD that names a real day (not `2025-13-01`, not `2025-02-30`, which Date would roll into March). */
export function isCalendarDate(date: string): boolean {
  const start = taipeiDayStart(date);
  return !Number.isNaN(start.getTime()) && taipeiDate(start) === date;
}

/** Every Asia/Taipei date from `start` to `end`, both included, oldest first. */
export function taipeiDatesBetween(start: string, end: string): string[] {
  const dates: string[] = [];
  for (let t = taipeiDayStart(start).getTime(); t <= taipeiDayStart(end).getTime(); t += DAY_MS) dates.push(taipeiDate(t));
  return dates;
}

/** Start of the Asia/Taipei day `now` falls in: the day that daily limits, usage and reports use. */
export function startOfTaipeiDay(now: Date): Date {
  const local = new Date(now.getTime() + TAIPEI_OFFSET_MS);
  local.setUTCHours(0, 0, 0, 0);
  return new Date(local.getTime() - TAIPEI_OFFSET_MS);
}

/** yyyyMMddHHmmss in Taiwan time, the timestamp format of Every8d and Mitake. */
export const taipeiStamp = (date = new Date()): string => new Date(date.getTime() + TAIPEI_OFFSET_MS).toISOString().replace(/[-:T]/g, '').slice(0, 14);
