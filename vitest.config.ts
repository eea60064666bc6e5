import { defineConfig } from 'vitest/config';

// Two projects: the bot's tests (test/), which share one Redis and one PostgreSQL started by the global
// setup, each file isolating itself with its own key prefix / database; and the simulator package's own
// tests (packages/discord-sim/vitest.config.ts), which need neither. Files may run in parallel, but the
// machine has two cores: keep forks few.
/** Suites that invoke commands through the simulator; each also runs in HTTP mode (project bot-http). */
const HTTP_MODE_SUITES = ['e2e', 'apps', 'command-guards', 'commands-families', 'commands-stats', 'export', 'privacy', 'settings-command', 'zones-e2e', 'channel-counters', 'digest', 'inactive', 'retention', 'autoroles'];

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
      {
        // The command suites again with the interactions service answering (test/helpers/bot.ts reads
        // TEST_INTERACTIONS): every command's end-to-end test passes in both modes, from one copy.
        extends: true,
        test: {
          name: 'bot-http',
          include: HTTP_MODE_SUITES.map((f) => `test/${f}.test.ts`),
          env: { TEST_INTERACTIONS: 'http' },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          globalSetup: ['test/global-setup.ts'],
        },
      },
      'packages/discord-sim',
    ],
  },
});
