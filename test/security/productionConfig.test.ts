import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

/** Runs an entry point with only the given variables; resolves with its exit code and output once it exits. */
function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

const strong = {
  ADMIN_TOKEN: 'prod-admin-token-0123456789abcdef',
  CREDENTIALS_KEY: '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d',
  PAYLOAD_ENCRYPTION_KEY: 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0=',
  WEBHOOK_TOKEN: '7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b4d6f0a',
  PUBLIC_BASE_URL: 'https://sms.example',
  // Unreachable on purpose: a configuration that passes gets as far as connecting, and fails there instead.
  TEMPORAL_ADDRESS: '127.0.0.1:1',
  MONGODB_URI: 'mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500',
};

describe('production entries refuse unsafe defaults', () => {
  it.each(['start:api', 'start:worker'])('npm run %s names every development default, short token and simulator it was given', async (script) => {
    const { code, output } = await run('npm', ['run', '--silent', script], {
      WEBHOOK_TOKEN: 'only-twenty-chars-xx',
      SIMULATORS: 'true',
      TWILIO_AUTH_TOKEN: 'simulator-twilio-auth-token',
    });
    expect(code).not.toBe(0);
    for (const problem of [
      'ADMIN_TOKEN is the development default',
      'CREDENTIALS_KEY is the development default',
      'PAYLOAD_ENCRYPTION_KEY is the development default',
      'WEBHOOK_TOKEN has 20 characters: use at least 32',
      'SIMULATORS is true',
      "TWILIO_AUTH_TOKEN is the simulator's account",
      'PUBLIC_BASE_URL must be set',
    ])
      expect(output).toContain(problem);
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack
  });

  it('names encryption keys too short or too predictable to protect data at rest', async () => {
    const { code, output } = await run('npm', ['run', '--silent', 'start:api'], {
      ...strong,
      CREDENTIALS_KEY: 'a'.repeat(64),
      PAYLOAD_ENCRYPTION_KEY: 'changeme',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('CREDENTIALS_KEY repeats one pattern');
    expect(output).toContain('PAYLOAD_ENCRYPTION_KEY has 8 characters');
  });

  it('refuses a PUBLIC_BASE_URL providers cannot reach or that would send the webhook token in the clear', async () => {
    for (const url of ['http://api:8080', 'https://api:8080', 'http://sms.example.com']) {
      const { code, output } = await run('npm', ['run', '--silent', 'start:api'], { ...strong, PUBLIC_BASE_URL: url });
      expect(code).not.toBe(0);
      expect(output).toContain(`PUBLIC_BASE_URL is ${url}: in production it must be the public https address`);
    }
  });

  it('passes the checks with production settings (and then needs its servers)', async () => {
    const { code, output } = await run('npm', ['run', '--silent', 'start:api'], strong);
    expect(code).not.toBe(0);
    expect(output).not.toContain('Refusing to start');
  });

  it('never runs the simulators, and so their control API, in production', async () => {
    const { code, output } = await run('node', ['--import', 'tsx', 'src/simulator/main.ts'], { ...strong, APP_ENV: 'production', SIMULATOR_PORT: '0' });
    expect(code).not.toBe(0);
    expect(output).toContain('simulators do not run in production');
  });
});
