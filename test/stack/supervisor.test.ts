import { Supervised, type Running } from '../../src/stack/supervisor';
import { createLogger } from '../../src/log';

/** A child whose end the test decides: `crash()` ends it as a kill -9 would. */
function fakeChild() {
  let end!: (how: string) => void;
  const exited = new Promise<string>((resolve) => (end = resolve));
  return { running: { stop: async () => end('stopped'), exited } satisfies Running, crash: () => end('killed by SIGKILL') };
}

const quickPolicy = { initialDelayMs: 1, maxDelayMs: 5, maxCrashes: 3, windowMs: 60_000 };
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('a supervised child of npm start', () => {
  const log = createLogger('test', 'error');

  it('is started again after it crashes, and is reported up again', async () => {
    const children: ReturnType<typeof fakeChild>[] = [];
    const supervised = new Supervised(
      'fake server',
      async () => (children.push(fakeChild()), children.at(-1)!.running),
      log,
      () => undefined,
      quickPolicy,
    );
    await supervised.start();
    children[0].crash();
    await settle();
    expect(children).toHaveLength(2);
    expect(supervised.up).toBe(true);
    await supervised.stop();
    await settle();
    expect(children).toHaveLength(2); // a child that was asked to stop is not restarted
  });

  it('gives up with a message naming the child when it cannot be brought back', async () => {
    const giveUps: string[] = [];
    const first = fakeChild();
    let starts = 0;
    const startOnce = async () => {
      starts += 1;
      if (starts > 1) throw new Error('port in use');
      return first.running;
    };
    const supervised = new Supervised('fake server', startOnce, log, (message) => giveUps.push(message), quickPolicy);
    await supervised.start();
    first.crash();
    await settle();
    expect(giveUps).toEqual(['fake server failed 3 times in a row and could not be restarted']);
    expect(supervised.status).toBe('failed');
    expect(supervised.up).toBe(false);
  });

  it('stops a child that runs but stays unhealthy past the grace period, and so restarts it', async () => {
    const children: ReturnType<typeof fakeChild>[] = [];
    const supervised = new Supervised(
      'fake server',
      async () => (children.push(fakeChild()), children.at(-1)!.running),
      log,
      () => undefined,
      quickPolicy,
    );
    await supervised.start();
    // Unhealthy until it has been restarted once: the second child works.
    supervised.watchHealth({ check: async () => children.length >= 2, intervalMs: 5, graceMs: 20 });
    for (let i = 0; i < 100 && children.length < 2; i++) await settle();
    expect(children).toHaveLength(2);
    await settle();
    expect(children).toHaveLength(2); // healthy again: left alone
    expect(supervised.up).toBe(true);
    await supervised.stop();
  });
});
