// Projects so that the vector suites can run alone (`npm run test:vectors`).
// Transpile-only ts-jest (isolatedModules in tsconfig) keeps the whole run fast;
// `npm run lint:types` is the type check.
const { availableParallelism } = require('node:os');

const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // Jest's default on two cores is one worker; most suites wait on child processes, sockets
  // and the database, so two keep both cores busy (`npm test` ~4 min here instead of ~5.5).
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // Suites run two at a time even on two cores, so a test may take twice its time alone;
  // 5 s (Jest's default) would then fail tests for being slow, which no test here is about.
  // A global option: inside `projects` Jest ignores it.
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...base, displayName: 'vectors', testMatch: ['<rootDir>/test/vectors/**/*.test.ts'] },
    // The same suites over a second set, written apart from this code (its README says how).
    {
      ...base,
      displayName: 'vectors-independent',
      testMatch: ['<rootDir>/test/vectors/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/independent-vectors.setup.ts'],
    },
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/vectors/'],
    },
  ],
};
