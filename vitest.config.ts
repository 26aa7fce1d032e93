import { defineConfig } from 'vitest/config';

// Integration tests run against the real local stack (Kafka, Apicurio, PostgreSQL, Scylla emulator).
// globalSetup brings it up (idempotent) so `npm test` works on a fresh machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The chaos run restarts shared services: vitest.chaos.config.ts runs it alone, after this suite.
    exclude: ['test/chaos/**', 'node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2 cores: integration tests share one broker and one PostgreSQL; keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
