import { loadConfig } from '../../src/config';
import { keyStrengthProblem, tokenGuessableProblem } from '../../src/domain/keyStrength';

const production = {
  APP_ENV: 'production',
  ADMIN_TOKEN: 'prod-admin-token-0123456789abcdef',
  WEBHOOK_TOKEN: '7f3a9c1e5b2d8f4a6c0e9b3d7a1f5c8e2b4d6f0a',
  PUBLIC_BASE_URL: 'https://sms.example',
  SIMULATORS: 'false',
};

describe('encryption key strength', () => {
  it.each([
    ['a random 64-hex key', '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d'],
    ['a random base64 key', 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0='],
    ['a long passphrase', 'production-credentials-key-0123456789'],
  ])('accepts %s', (_label, key) => {
    expect(keyStrengthProblem('CREDENTIALS_KEY', key)).toBeUndefined();
  });

  it.each([
    ['a short key', 'short-key-123', /has 13 characters/],
    ['one repeated character', 'a'.repeat(64), /repeats one pattern/],
    ['a repeated pattern', '0123456789abcdef'.repeat(4), /repeats one pattern/],
    ['a low-entropy passphrase', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', /too predictable/],
  ])('refuses %s, naming the variable', (_label, key, reason) => {
    const problem = keyStrengthProblem('PAYLOAD_ENCRYPTION_KEY', key);
    expect(problem).toMatch(/^PAYLOAD_ENCRYPTION_KEY /);
    expect(problem).toMatch(reason);
  });

  it('refuses weak keys at production config load, and leaves development alone', () => {
    const weak = { CREDENTIALS_KEY: 'a'.repeat(64), PAYLOAD_ENCRYPTION_KEY: 'password-password-password-password' };
    expect(() => loadConfig({ ...production, ...weak })).toThrow(/CREDENTIALS_KEY repeats one pattern[\s\S]*PAYLOAD_ENCRYPTION_KEY is too predictable/);
    expect(() =>
      loadConfig({
        ...production,
        CREDENTIALS_KEY: '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d',
        PAYLOAD_ENCRYPTION_KEY: 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0=',
      }),
    ).not.toThrow();
    expect(() => loadConfig(weak)).not.toThrow();
  });

  it('refuses guessable tokens and signing secrets in production: the ones a length check lets through', () => {
    const keys = {
      CREDENTIALS_KEY: '3dec184d0db5731bd9b21be8b46f55384848c3aa4d031157dec856c3877c050d',
      PAYLOAD_ENCRYPTION_KEY: 'BvYAElSfWUynlAupbYsL2ABABeLEO+rad/2MT62OPG0=',
    };
    const guessable = { ADMIN_TOKEN: 'a'.repeat(16), JWT_SECRET: 'c'.repeat(32), WEBHOOK_TOKEN: 'changeme'.repeat(4) };
    expect(() => loadConfig({ ...production, ...keys, ...guessable })).toThrow(
      /ADMIN_TOKEN repeats one pattern[\s\S]*JWT_SECRET repeats one pattern[\s\S]*WEBHOOK_TOKEN repeats one pattern/,
    );
    expect(tokenGuessableProblem('JWT_SECRET', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab')).toMatch(/^JWT_SECRET is too predictable/);
    // A random 16-character admin token (`openssl rand -hex 8`) passes: only a repeated pattern is refused there.
    expect(() => loadConfig({ ...production, ...keys, ADMIN_TOKEN: 'a3f09c1e5b7d2e48' })).not.toThrow();
    // What `openssl rand -hex 16` and `-hex 24` give passes.
    expect(tokenGuessableProblem('ADMIN_TOKEN', '9f86d081884c7d659a2feaa0c55ad015')).toBeUndefined();
    expect(() => loadConfig({ ...production, ...keys, JWT_SECRET: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd6' })).not.toThrow();
    expect(() => loadConfig(guessable)).not.toThrow();
  });
});
