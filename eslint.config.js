import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Dependency boundaries (docs/architecture.md, "Layout"): each entry forbids imports that would point the
// wrong way. ESLint's own no-restricted-imports, matched against the import specifier as written.
const boundary = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const production = [
  { group: ['discord-sim', 'discord-sim/*'], message: 'Production code must not depend on the simulator.' },
  { group: ['**/dev/*', '**/test/*', '**/bench/*'], message: 'Production code must not import development code.' },
];

// Commands run in a cluster process (gateway mode) and in the interactions service: no process's own code.
// Stated once, as the framework's rule below replaces the commands' one for its files (the last matching
// config's no-restricted-imports wins) and must repeat it.
const commandsNoProcessCode = {
  group: [
    '**/shard/*',
    '**/shard/**',
    '**/ingest/*',
    '**/cluster/*',
    '**/interactions/*',
    '**/scheduler/*',
    '**/scheduler/**',
  ],
  message: 'Commands must not import process code (shard, ingest, cluster, interactions, scheduler).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'demo-output/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // The simulator is a product of its own: it imports nothing outside its package.
  boundary(
    ['packages/discord-sim/**/*.ts'],
    [
      {
        group: ['../../*', '../../../*'],
        message: 'The simulator package imports nothing of the bot (or of other folders).',
      },
    ],
  ),
  // Production code never imports development code (harness, demo, embedded services, simulator, tests).
  boundary(['src/**/*.ts'], production),
  // Later entries replace earlier ones for their files, so each repeats `production`.
  // Shard processes record; they share formats with the ingest worker through src/*.ts, not its code.
  boundary(
    ['src/shard/**/*.ts'],
    [
      {
        group: ['**/ingest/*', '**/cluster/*', '**/interactions/*'],
        message:
          'Shard code must not import ingest, cluster-manager or interactions-service code; share formats through src/.',
      },
      ...production,
    ],
  ),
  // Commands run in a cluster process (gateway mode) and in the interactions service: they read src/stats
  // and render, never a process's own code.
  boundary(['src/commands/**/*.ts'], [commandsNoProcessCode, ...production]),
  // The command framework (what every command uses) never imports a command: commands depend on it, and the
  // list of commands (src/commands/index.ts) is handed to the router by the process that runs it.
  boundary(
    ['src/commands/framework/**/*.ts'],
    [
      {
        group: ['../*.js'],
        message: 'The command framework must not import a command module (src/commands/*.ts).',
      },
      commandsNoProcessCode,
      ...production,
    ],
  ),
  // The interactions service answers commands without a gateway: no shard, ingest or cluster code.
  boundary(
    ['src/interactions/**/*.ts'],
    [
      {
        group: ['**/shard/*', '**/shard/**', '**/ingest/*', '**/cluster/*', 'discord-hybrid-sharding'],
        message: 'The interactions service must not load shard, ingest or cluster code.',
      },
      ...production,
    ],
  ),
  // The dashboard reads src/stats and the settings/permission policy of the commands, never a process's code.
  boundary(
    ['src/web/**/*.ts'],
    [
      {
        group: ['**/shard/*', '**/shard/**', '**/ingest/*', '**/cluster/*'],
        message: 'The dashboard must not import process code (shard, ingest, cluster).',
      },
      ...production,
    ],
  ),
  // The scheduler talks to Discord over REST only: no gateway (shard, cluster) code, no other process's code.
  boundary(
    ['src/scheduler/**/*.ts'],
    [
      {
        group: [
          '**/shard/*',
          '**/shard/**',
          '**/ingest/*',
          '**/cluster/*',
          '**/interactions/*',
          '**/web/*',
          'discord-hybrid-sharding',
        ],
        message: 'The scheduler must not load shard, cluster, ingest, interactions or dashboard code.',
      },
      ...production,
    ],
  ),
  // Concept folders shared by commands and scheduler jobs: never a process's code.
  boundary(
    ['src/channel-counters/**/*.ts', 'src/digest/**/*.ts', 'src/autoroles/**/*.ts'],
    [
      {
        group: [
          '**/shard/*',
          '**/shard/**',
          '**/ingest/*',
          '**/cluster/*',
          '**/interactions/*',
          '**/scheduler/*',
          '**/scheduler/**',
          '**/web/*',
        ],
        message: 'Counters, digests and activity roles must not import process code.',
      },
      ...production,
    ],
  ),
  // The ingest worker needs neither discord.js nor shard code.
  boundary(
    ['src/ingest/**/*.ts'],
    [
      {
        group: ['**/shard/*', '**/shard/**', '**/cluster/*', 'discord.js', 'discord-hybrid-sharding'],
        message: 'The ingest worker must not load shard, cluster or discord.js code.',
      },
      ...production,
    ],
  ),
);
