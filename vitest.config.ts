import { defineConfig } from 'vitest/config';

// Integration tests share one Redis and one PostgreSQL; each test file isolates itself with its own key
// prefix / database, so files may run in parallel, but the machine has two cores: keep forks few.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
