export interface RestartPolicyOptions {
  /** Wait before the first restart; doubled for each further crash within the window. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many crashes within windowMs and the process is given up on. */
  maxCrashes: number;
  windowMs: number;
}

export type RestartDecision = { action: 'restart'; delayMs: number; crashesInWindow: number } | { action: 'give_up'; crashesInWindow: number };

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { initialDelayMs: 500, maxDelayMs: 15_000, maxCrashes: 5, windowMs: 120_000 };

/**
 * When to restart a crashed child and when to stop trying. Back-off grows with the crashes seen in a sliding
 * window, so a server that crashed once an hour ago restarts at once, while one that crashes on every start is
 * given up after a handful of attempts — the command then exits rather than staying half-alive.
 */
export class RestartPolicy {
  private crashes: number[] = [];

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** A crash at `now` (of the process, or of a restart attempt): what to do next. */
  onCrash(now: number): RestartDecision {
    const { initialDelayMs, maxDelayMs, maxCrashes, windowMs } = this.options;
    this.crashes = [...this.crashes.filter((t) => t > now - windowMs), now];
    const crashesInWindow = this.crashes.length;
    if (crashesInWindow >= maxCrashes) return { action: 'give_up', crashesInWindow };
    return { action: 'restart', delayMs: Math.min(initialDelayMs * 2 ** (crashesInWindow - 1), maxDelayMs), crashesInWindow };
  }
}
