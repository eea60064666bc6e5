-- Per-guild settings an admin changes (through /settings): whether bots' messages count, the guild's time
-- zone for day buckets. A plain table on both engines; shards cache it and hear changes over Redis pub/sub.
CREATE TABLE guild_settings (
  guild_id     bigint      PRIMARY KEY,
  include_bots boolean     NOT NULL DEFAULT false,
  time_zone    text        NOT NULL DEFAULT 'UTC',
  updated_at   timestamptz NOT NULL DEFAULT now()
);
