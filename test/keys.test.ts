import { describe, expect, it } from 'vitest';
import { FAMILIES, decodeField, encodeField, minuteOf, textDim } from '../src/families.js';
import { Keys, partitionOf } from '../src/keys.js';
import { countWords } from '../src/text.js';

describe('families', () => {
  const spec = FAMILIES.messages;
  it('round-trips fields and keeps snowflakes as exact strings', () => {
    const dims = ['1234567890123456789', '987654321098765432', '0', '9223372036854775807'];
    const f = encodeField(spec, 29_000_000, dims, 2);
    expect(decodeField(spec, f)).toEqual({ minute: 29_000_000, dims, marks: ['0'], metric: 2 });
    expect(decodeField(spec, encodeField(spec, 29_000_000, dims, 1, ['1']))).toEqual({
      minute: 29_000_000,
      dims,
      marks: ['1'],
      metric: 1,
    });
  });
  it("decodes fields written before a family's marks existed as unmarked, and refuses bad marks", () => {
    // A shard of the previous release writes `minute|guild|channel|parent|user|metric` during a rolling upgrade.
    expect(decodeField(spec, '29000000|1|2|0|4|1')).toEqual({
      minute: 29_000_000,
      dims: ['1', '2', '0', '4'],
      marks: ['0'],
      metric: 1,
    });
    expect(decodeField(spec, '29000000|1|2|0|4|1|1')).toEqual({
      minute: 29_000_000,
      dims: ['1', '2', '0', '4'],
      marks: ['1'],
      metric: 1,
    });
    expect(decodeField(spec, '29000000|1|2|0|4|2|1')).toBeUndefined(); // a mark is 0 or 1
    expect(decodeField(spec, '29000000|1|2|0|4|1|1|0')).toBeUndefined();
    expect(() => encodeField(spec, 1, ['1', '2', '0', '4'], 0, ['1', '1'])).toThrow('expected 1 marks');
  });
  it('rejects malformed fields', () => {
    expect(decodeField(spec, 'garbage')).toBeUndefined();
    expect(decodeField(spec, '1|2|3|0|4|9')).toBeUndefined(); // metric out of range
    expect(decodeField(spec, '1|a|3|0|4|0')).toBeUndefined(); // not a snowflake
    expect(decodeField(spec, '1|2|3|0|9223372036854775808|0')).toBeUndefined(); // beyond bigint
    expect(decodeField(spec, 'x|2|3|0|4|0')).toBeUndefined();
    expect(() => encodeField(spec, 1, ['1'], 0)).toThrow('expected 4 dimensions');
  });
  it('validates text dimensions and sanitises free text', () => {
    const emojis = FAMILIES.emojis;
    const zwj = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    const f = encodeField(emojis, 5, ['1', '2', zwj, 'message'], 0);
    expect(decodeField(emojis, f)).toEqual({ minute: 5, dims: ['1', '2', zwj, 'message'], marks: [], metric: 0 });
    expect(decodeField(emojis, '5|1|2|a\\b|message|0')).toBeUndefined();
    expect(decodeField(emojis, '5|1|2||message|0')).toBeUndefined();
    expect(textDim('  Rocket | League\t ')).toBe('Rocket   League');
    expect(textDim(' \t ')).toBeUndefined();
    expect([...textDim('x'.repeat(300))!]).toHaveLength(100);
  });
  it('buckets by whole minutes', () => {
    expect(minuteOf(59_999)).toBe(0);
    expect(minuteOf(60_000)).toBe(1);
  });
});

describe('keys', () => {
  it('keeps one hash tag per partition so RENAME stays in one cluster slot', () => {
    const k = new Keys('stats');
    const live = k.live('messages', 3);
    const batch = k.batch('messages', 3, 'abc');
    const tag = (s: string) => s.slice(s.indexOf('{'), s.indexOf('}') + 1);
    expect(tag(live)).toBe('{p3}');
    expect(tag(batch)).toBe('{p3}');
    expect(Keys.batchIdOf(batch)).toBe('abc');
    expect(k.batchPattern('messages', 3)).toBe('stats:{p3}:messages:batch:*');
  });
  it('never reuses a batch id', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => Keys.newBatchId()));
    expect(ids.size).toBe(1000);
  });
  it('spreads guilds over partitions', () => {
    const counts = new Array(16).fill(0);
    let id = 1_100_000_000_000_000_000n;
    for (let i = 0; i < 16_000; i++) counts[partitionOf((id += 4_194_304n * 997n).toString(), 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(700);
    expect(Math.max(...counts)).toBeLessThan(1300);
  });
});

describe('countWords', () => {
  it('counts runs of non-whitespace, any script', () => {
    expect(countWords('')).toBe(0);
    expect(countWords('   ')).toBe(0);
    expect(countWords('hello world')).toBe(2);
    expect(countWords('  tabs\tand\nnew lines  ')).toBe(4);
    expect(countWords('Привет мир 😀')).toBe(3);
  });
});
