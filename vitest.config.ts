import { defineConfig } from 'vitest/config';

// Two projects: the bot's tests (test/), which share one Redis and one PostgreSQL started by the global
// setup, each file isolating itself with its own key prefix / database; and the simulator package's own
// tests (packages/discord-sim/vitest.config.ts), which need neither. Files may run in parallel, but the
// machine has two cores: keep forks few.
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'bot',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      'packages/discord-sim',
    ],
  },
});
