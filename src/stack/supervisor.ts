import type { Logger } from '../log';
import { RestartPolicy, type RestartPolicyOptions } from './restartPolicy';

/** Something `npm start` runs and may have to start again: a server process, or the in-process workers. */
export interface Running {
  stop(): Promise<void>;
  /** Settles when it ended by itself or was stopped, with a short description of how. */
  exited: Promise<string>;
}

export type SupervisedState = 'running' | 'restarting' | 'failed' | 'stopped';

export interface HealthWatch {
  /** Whether the child does its job (not merely runs); false or a throw counts as unhealthy. */
  check: () => Promise<boolean>;
  intervalMs: number;
  /** Unhealthy for this long in a row and the child is stopped, so it is restarted like a crashed one. */
  graceMs: number;
}

/**
 * Keeps one child running: when it ends without being asked to, it is started again after the back-off of its
 * RestartPolicy; when the policy gives up, `onGiveUp` is called once with a message saying what and why.
 */
export class Supervised {
  private current?: Running;

  private state: SupervisedState = 'stopped';

  private stopping = false;

  private readonly policy: RestartPolicy;

  constructor(
    readonly name: string,
    private readonly startOnce: () => Promise<Running>,
    private readonly log: Logger,
    private readonly onGiveUp: (message: string) => void,
    policy?: RestartPolicyOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.policy = new RestartPolicy(policy);
  }

  /** The first start; its failure is the caller's (start-up fails as before). */
  async start(): Promise<void> {
    this.watch(await this.startOnce());
  }

  get up(): boolean {
    return this.state === 'running';
  }

  get status(): SupervisedState {
    return this.state;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    clearInterval(this.healthTimer);
    await this.current?.stop();
  }

  private healthTimer?: NodeJS.Timeout;

  /**
   * A process can run and still not work: the Temporal dev server whose SQLite connection was interrupted under load
   * answers every call with an error ("interrupted (9)", "Namespace not found") and never recovers by itself. Such a
   * child, unhealthy for `graceMs` in a row, is stopped, and then restarted (and counted) like one that crashed.
   */
  watchHealth({ check, intervalMs, graceMs }: HealthWatch): void {
    let unhealthySince: number | undefined;
    let checking = false;
    this.healthTimer = setInterval(async () => {
      if (checking || this.state !== 'running') return void (unhealthySince = undefined);
      checking = true;
      const healthy = await check().catch(() => false);
      checking = false;
      if (healthy || this.state !== 'running') return void (unhealthySince = undefined);
      unhealthySince ??= this.now();
      if (this.now() - unhealthySince < graceMs) return;
      unhealthySince = undefined;
      this.log.error(`${this.name} runs but has not worked for ${Math.round(graceMs / 1000)} s; stopping it to restart it`, { process: this.name });
      void this.current?.stop();
    }, intervalMs);
    this.healthTimer.unref();
  }

  private watch(running: Running): void {
    this.current = running;
    this.state = 'running';
    void running.exited.then((how) => {
      if (this.stopping || this.current !== running) return;
      this.log.error(`${this.name} stopped unexpectedly (${how}); restarting`, { process: this.name, how });
      void this.restart();
    });
  }

  private async restart(): Promise<void> {
    this.state = 'restarting';
    for (;;) {
      const decision = this.policy.onCrash(this.now());
      if (decision.action === 'give_up') {
        this.state = 'failed';
        this.onGiveUp(`${this.name} failed ${decision.crashesInWindow} times in a row and could not be restarted`);
        return;
      }
      await new Promise((r) => setTimeout(r, decision.delayMs));
      if (this.stopping) return;
      try {
        this.watch(await this.startOnce());
        this.log.warn(`${this.name} restarted`, { process: this.name, after_crashes: decision.crashesInWindow, delay_ms: decision.delayMs });
        return;
      } catch (err) {
        this.log.error(`${this.name} could not be restarted`, { process: this.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}
