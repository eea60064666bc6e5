-- Periodic digests (/digest): one per server, posted by the scheduler (src/scheduler/jobs/digest.ts) after
-- each week or month in the server's zone. last_period_start makes a post happen once per period however
-- often the job runs (a retry, a catch-up after downtime). No personal data.
CREATE TABLE IF NOT EXISTS guild_digests (
  guild_id          bigint      PRIMARY KEY,
  channel_id        bigint      NOT NULL,
  every             text        NOT NULL CHECK (every IN ('week', 'month')),
  last_period_start timestamptz,
  disabled_reason   text,
  created_at        timestamptz NOT NULL DEFAULT now()
);
