import { DAY_MS, TAIPEI_OFFSET_MS } from './taipeiTime';
import { isTransactional } from './sms';

/**
 * Quiet hours: local Asia/Taipei windows (UTC+8, no daylight saving) in which marketing texts must not go out.
 * Taiwan's default: 21:00–09:00 and 12:30–13:30. Pure: the workflow asks through an activity, tests pass a clock.
 */
export interface QuietWindow {
  /** `HH:MM` or `HH:MM:SS`, local time; a window whose end is before its start runs past midnight. */
  start: string;
  end: string;
}

export const TAIWAN_QUIET_HOURS: QuietWindow[] = [
  { start: '21:00', end: '09:00' },
  { start: '12:30', end: '13:30' },
];

/**
 * The one rule for who waits: marketing always, any other non-transactional batch that asked to; order and delivery
 * notices never, whatever was asked. Single sends and batches both decide with it.
 */
export function heldByQuietHours(messageType: string, respectQuietHours = false): boolean {
  return !isTransactional(messageType) && (respectQuietHours || messageType === 'marketing');
}

/**
 * When a message about to reach a provider must wait for quiet hours to end (epoch ms), or undefined if it may go
 * now. Checked at send time too: intake and a batch's starts check before, but an outage, a queue behind a rate
 * limit or a retry's back-off can carry a message into a quiet window after them.
 */
export function quietHoldUntil(message: { message_type: string; respect_quiet_hours?: boolean }, windows: QuietWindow[], now: Date): number | undefined {
  if (!heldByQuietHours(message.message_type, message.respect_quiet_hours)) return undefined;
  const openAt = nextAllowedTime(now, windows).getTime();
  return openAt > now.getTime() ? openAt : undefined;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

export const isTimeOfDay = (value: string): boolean => TIME.test(value);

function secondsOfDay(value: string): number {
  const m = TIME.exec(value);
  if (!m) throw new Error(`not a time of day: ${value}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

/** The earliest moment at or after `now` outside every window (`now` itself when sending is allowed). */
export function nextAllowedTime(now: Date, windows: QuietWindow[]): Date {
  let t = now.getTime();
  // Windows can chain (one ends where another starts), so step until no window contains t; a day bounds it.
  for (let i = 0; i < windows.length * 2 + 1; i++) {
    const end = windows.map((w) => windowEndIfInside(t, w)).find((e) => e !== undefined);
    if (end === undefined) return new Date(t);
    t = end;
  }
  return new Date(t);
}

/** If instant t falls inside window w, the instant that window ends; otherwise undefined. */
function windowEndIfInside(t: number, w: QuietWindow): number | undefined {
  const local = t + TAIPEI_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const s = (local - dayStart) / 1000;
  const start = secondsOfDay(w.start);
  const end = secondsOfDay(w.end);
  if (start === end) return undefined;
  const toInstant = (localMs: number) => localMs - TAIPEI_OFFSET_MS;
  if (start < end) return s >= start && s < end ? toInstant(dayStart + end * 1000) : undefined;
  // Past midnight: inside from start to 24:00, or from 00:00 to end.
  if (s >= start) return toInstant(dayStart + DAY_MS + end * 1000);
  if (s < end) return toInstant(dayStart + end * 1000);
  return undefined;
}

/** The first moment after `t` at which some window begins (sending must stop then); far future with no windows. */
export function nextQuietStart(t: Date, windows: QuietWindow[]): Date {
  const local = t.getTime() + TAIPEI_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const starts = windows
    .filter((w) => secondsOfDay(w.start) !== secondsOfDay(w.end))
    .flatMap((w) => [0, 1].map((day) => dayStart + day * DAY_MS + secondsOfDay(w.start) * 1000 - TAIPEI_OFFSET_MS))
    .filter((instant) => instant > t.getTime());
  return new Date(starts.length ? Math.min(...starts) : t.getTime() + 365 * DAY_MS);
}
