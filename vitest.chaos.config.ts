import { defineConfig } from 'vitest/config';

// The chaos run restarts the shared Kafka broker and PostgreSQL: it runs alone, after the main suite.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 900_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
