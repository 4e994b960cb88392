/** Tests run against the real embedded stack started once per run in globalSetup. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/stack/globalSetup.ts',
  globalTeardown: '<rootDir>/test/stack/globalTeardown.ts',
  testTimeout: 60_000,
  // One file at a time: some tests change shared provider settings (priority, limits, circuits) and restore them.
  maxWorkers: 1,
};
