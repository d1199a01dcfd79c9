// Three projects so the vector suite can run alone (`npm run test:vectors`).
// Transpile-only ts-jest (isolatedModules in tsconfig) keeps the whole run fast;
// `npm run lint:types` is the type check.
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...base, displayName: 'vectors', testMatch: ['<rootDir>/test/vectors/**/*.test.ts'] },
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['<rootDir>/test/vectors/'],
    },
  ],
};
