import { defineConfig } from 'vitest/config';

// The bot's tests in two kinds: the unit project (pure code, the build, the manifests and rules under
// their real tools) needs no service and runs alone with `npx vitest run --project unit`; the integration
// projects share one Redis and one PostgreSQL started by their global setup, each file isolating itself
// with its own key prefix / database. The simulator package's own tests (packages/discord-sim/
// vitest.config.ts) need neither. Files may run in parallel, but the machine has two cores: keep forks few.
/** Test files that need neither PostgreSQL nor Redis (nor the simulator). */
const UNIT_SUITES = [
  'alerts',
  'build',
  'config',
  'format',
  'k8s',
  'keys',
  'process-errors',
  'render',
  'render-kinds',
  'render-png',
];
/** Suites that invoke commands through the simulator; each also runs in HTTP mode (project bot-http). */
const HTTP_MODE_SUITES = [
  'e2e',
  'apps',
  'command-guards',
  'commands-families',
  'commands-stats',
  'emoji-leaderboards',
  'export',
  'message-details',
  'privacy',
  'settings-command',
  'zones-e2e',
  'channel-counters',
  'digest',
  'inactive',
  'retention',
  'autoroles',
  'backfill',
];
const files = (names: string[]) => names.map((f) => `test/${f}.test.ts`);

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: files(UNIT_SUITES),
          testTimeout: 60_000,
          globalSetup: ['test/log-capture-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'bot',
          include: ['test/**/*.test.ts'],
          exclude: files(UNIT_SUITES),
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
          include: files(HTTP_MODE_SUITES),
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
