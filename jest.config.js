/** Tests run against the real embedded stack started once per run in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/stack/globalSetup.ts',
  globalTeardown: '<rootDir>/test/stack/globalTeardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
