// Pure arithmetic of one open timed session: how its elapsed time is cut into minute buckets. Whole
// seconds are credited and the milliseconds left over are carried per metric, so however often a session
// is credited the total never drifts from the exact elapsed time by more than the final rounding.
import { minuteOf } from '../../families.js';

export interface SessionState {
  /** What the session is in besides its key: the voice channel id; '' for activities. */
  attrs: string;
  /** Bit m set: metric m accrues (bit 0, the plain seconds, is always set). */
  flags: number;
  /** Start of the current segment (the last state change), ms since the epoch. */
  start: number;
  /** Credited through this instant (ms). */
  last: number;
  /** Per metric: milliseconds accrued but not yet credited as a whole second (< 1000). */
  rems: number[];
}

export interface MinuteCredit {
  minute: number;
  /** Whole seconds per metric. */
  values: number[];
}

/** Compact Redis value: `attrs|flags|start|last|rem0,rem1,...` (attrs never holds '|': ids only). */
export function encodeState(s: SessionState): string {
  return `${s.attrs}|${s.flags}|${s.start}|${s.last}|${s.rems.join(',')}`;
}

export function decodeState(raw: string, metrics: number): SessionState | undefined {
  const parts = raw.split('|');
  if (parts.length !== 5) return undefined;
  const [attrs, flags, start, last, rems] = parts as [string, string, string, string, string];
  const r = rems.split(',').map(Number);
  const s: SessionState = { attrs, flags: Number(flags), start: Number(start), last: Number(last), rems: r };
  if (!Number.isSafeInteger(s.flags) || !Number.isSafeInteger(s.start) || !Number.isSafeInteger(s.last))
    return undefined;
  if (r.length !== metrics || !r.every((x) => Number.isInteger(x) && x >= 0 && x < 1000)) return undefined;
  return s;
}

export function openState(attrs: string, flags: number, at: number, rems: number[]): SessionState {
  return { attrs, flags: flags | 1, start: at, last: at, rems };
}

/**
 * Credits [s.last, to) split at minute boundaries: each minute gets the whole seconds its share (plus the
 * carried remainder) makes. Returns the credits and the advanced state; `to` before `last` credits nothing.
 */
export function accrue(s: SessionState, to: number): { credits: MinuteCredit[]; next: SessionState } {
  const rems = [...s.rems];
  const credits: MinuteCredit[] = [];
  let t = s.last;
  while (t < to) {
    const minute = minuteOf(t);
    const end = Math.min(to, (minute + 1) * 60_000);
    const chunk = end - t;
    const values = rems.map(() => 0);
    let any = false;
    for (let m = 0; m < rems.length; m++) {
      if ((s.flags & (1 << m)) === 0) continue;
      const acc = rems[m]! + chunk;
      values[m] = Math.floor(acc / 1000);
      rems[m] = acc % 1000;
      if (values[m]! > 0) any = true;
    }
    if (any) credits.push({ minute, values });
    t = end;
  }
  return { credits, next: { ...s, last: Math.max(s.last, to), rems } };
}

/**
 * Ends the carried remainders when a session closes: half a second or more rounds up to one, into the
 * minute the session was last credited in, so a closed session is off by at most half a second per metric.
 */
export function flushRemainders(s: SessionState): MinuteCredit | undefined {
  const values = s.rems.map((r) => (r >= 500 ? 1 : 0));
  if (!values.some((v) => v > 0)) return undefined;
  return { minute: minuteOf(Math.max(s.start, s.last - 1)), values };
}
