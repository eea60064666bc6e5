// The one way durations and numbers read (src/format.ts): embeds show every unit, charts the two largest.
import { describe, expect, it } from 'vitest';
import { formatDuration, formatNumber } from '../src/format.js';

const D = 86_400;
const H = 3_600;

describe('formatDuration', () => {
  it('shows every non-zero unit by default: 90,061 s is one of each', () => {
    expect(formatDuration(D + H + 60 + 1)).toBe('1d 1h 1m 1s');
    expect(formatDuration(3 * H + 12 * 60 + 5)).toBe('3h 12m 5s');
    expect(formatDuration(2 * H)).toBe('2h');
    expect(formatDuration(D + 5)).toBe('1d 5s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.4)).toBe('0s');
    expect(formatDuration(59.6)).toBe('1m');
  });

  it('with a unit limit, rounds to the last unit shown', () => {
    expect(formatDuration(D + H + 60 + 1, 2)).toBe('1d 1h');
    expect(formatDuration(3 * H + 12 * 60 + 31, 2)).toBe('3h 13m');
    expect(formatDuration(D - 1, 2)).toBe('1d'); // 23h 59m 59s rounds up to a whole day
    expect(formatDuration(45 * 60 + 29, 1)).toBe('45m');
    expect(formatDuration(-(2 * D + 4 * H + 100), 2)).toBe('-2d 4h');
  });
});

describe('formatNumber', () => {
  it('separates thousands', () => {
    expect(formatNumber(1204)).toBe('1,204');
    expect(formatNumber(12)).toBe('12');
  });
});
