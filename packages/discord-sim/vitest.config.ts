import { defineConfig } from 'vitest/config';

// The package's own tests: the simulator against real clients (discord.js, Oceanic.js), Discord's limits,
// and its REST bodies against Discord's OpenAPI spec. No database or Redis.
export default defineConfig({
  test: {
    name: 'discord-sim',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
