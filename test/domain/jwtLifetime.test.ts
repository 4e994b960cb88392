import { jwtLifetimeProblem } from '../../src/api/auth';

describe('JWT maximum lifetime', () => {
  const now = 1_800_000_000;
  const day = 24 * 3600;

  it('accepts a token living at most the maximum', () => {
    expect(jwtLifetimeProblem(now + 300, now, day, now)).toBeUndefined();
    expect(jwtLifetimeProblem(now + day, now, day, now)).toBeUndefined();
    expect(jwtLifetimeProblem(now + 300, undefined, day, now)).toBeUndefined();
  });

  it('refuses exp - iat beyond the maximum, even when most of it has passed', () => {
    expect(jwtLifetimeProblem(now + 60, now - 30 * day, day, now)).toMatch(/lifetime \(exp - iat = \d+ s\) exceeds the 86400 s/);
  });

  it('refuses a token without iat that expires further ahead than the maximum', () => {
    expect(jwtLifetimeProblem(now + 365 * day, undefined, day, now)).toMatch(/expires \d+ s from now, more than the 86400 s/);
  });

  it('refuses an iat that is not a number', () => {
    expect(jwtLifetimeProblem(now + 60, 'yesterday', day, now)).toMatch(/iat claim must be a number/);
  });
});
