/**
 * Three layers, so a developer's loop does not pay for the whole stack:
 * - unit: pure code and workflow replay; no globalSetup, no server process.
 * - workflows: workflows alone against a Temporal dev server (one per file) with mocked activities.
 * - e2e: everything else, against the real embedded stack started once per run in globalSetup.
 * `jest` runs all three; `jest --selectProjects <name>` one (a project's globalSetup runs only when it has tests).
 */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
};

const unitTests = [
  '<rootDir>/test/domain/**/*.test.ts',
  '<rootDir>/test/providers/replies.test.ts',
  '<rootDir>/test/replay/**/*.test.ts',
  '<rootDir>/test/stack/**/*.test.ts',
];
const workflowTests = ['<rootDir>/test/workflows/**/*.test.ts'];

module.exports = {
  projects: [
    { ...base, displayName: 'unit', testMatch: unitTests },
    {
      ...base,
      displayName: 'workflows',
      testMatch: workflowTests,
      globalSetup: '<rootDir>/test/workflows/globalSetup.ts',
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/domain/',
        '<rootDir>/test/providers/replies\\.test\\.ts$',
        '<rootDir>/test/replay/',
        '<rootDir>/test/workflows/',
        '<rootDir>/test/stack/',
      ],
      globalSetup: '<rootDir>/test/stack/globalSetup.ts',
      globalTeardown: '<rootDir>/test/stack/globalTeardown.ts',
    },
  ],
  // One file at a time: some e2e tests change shared provider settings (priority, limits, circuits) and restore
  // them. A global option in Jest, so it applies to every project; test:unit and test:workflows raise it.
  maxWorkers: 1,
  // Also global only (Jest ignores it per project): e2e waits on real receipts, workflow files bundle the workflows.
  testTimeout: 60_000,
  // A worker process that ran Temporal's native runtime (replay, workflow tests) takes longer than Jest's default
  // half second to exit, and is otherwise reported as leaking and killed.
  workerGracefulExitTimeout: 3_000,
};
