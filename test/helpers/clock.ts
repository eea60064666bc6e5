// One clock for a test's simulator and bot: the simulator's voice and activity truth (startSimulator's
// clock), the bot's session trackers (createBot's sessionClock) and its command cooldowns (commandClock).
// It runs with real time and can be moved forward. Events keep their real order and latency; a jump is
// credited to every open session at the tracker's next tick (real time), so a test gets a minute of voice
// time in one credit interval, and the truth counts the same minute. Move it only once the bot has every
// event sent so far (TestBot.advance waits for that), or an event in flight is stamped after the jump by
// the bot and before it by the simulator. Not vitest's fake timers: the bot talks over real sockets,
// whose timers and Date must stay real.
export interface TestClock {
  now(): number;
  /** Moves the clock `ms` forward (never back: session time only grows). */
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      if (!(ms >= 0)) throw new Error(`a test clock moves forward only (got ${ms} ms)`);
      offset += ms;
    },
  };
}
