import { defineConfig } from 'vitest/config';

// The JSON reporter's file is what .ci/run counts; the default reporter is for people.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: '.ci/vitest-results.json' }]],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
