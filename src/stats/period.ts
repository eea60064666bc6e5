// Lookback periods offered by the commands, and the bucket each one is drawn with.
export const PERIODS = {
  '1h': { ms: 3_600_000, bucket: 'minute' },
  '24h': { ms: 86_400_000, bucket: 'hour' },
  '7d': { ms: 7 * 86_400_000, bucket: 'hour' },
  '30d': { ms: 30 * 86_400_000, bucket: 'day' },
} as const;

export type PeriodName = keyof typeof PERIODS;
export type Bucket = (typeof PERIODS)[PeriodName]['bucket'];

export const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function isPeriod(value: string): value is PeriodName {
  return Object.hasOwn(PERIODS, value);
}
