// When things happen, as the ground truth of timed sessions records it (voice, presence activities). Real
// time by default; a test may pass a clock it moves forward (the same one its bot's session trackers read),
// so a minute of voice time takes no minute to test. Everything else (heartbeats, resume windows, rate
// limits, interaction deadlines, message timestamps) stays on real time.
export interface SimClock {
  /** Milliseconds since the Unix epoch, as Date.now(). */
  now(): number;
}

export const REAL_CLOCK: SimClock = { now: () => Date.now() };
