-- The scheduler's job runs (src/scheduler): one row per job and guild. A replica claims due rows with
-- SELECT … FOR UPDATE SKIP LOCKED and marks them with a lease (lease_until, lease_token) in the same
-- transaction, so however many replicas tick at once each due row goes to one of them; the lease is renewed
-- while the run lasts and expires when its holder dies, which hands the run to another replica.
-- next_run_at is computed from the end of a run, so a long downtime leaves one due run, caught up once.
CREATE TABLE IF NOT EXISTS scheduled_runs (
  job          text        NOT NULL,
  guild_id     bigint      NOT NULL,
  next_run_at  timestamptz NOT NULL,
  last_run_at  timestamptz,
  lease_until  timestamptz,
  lease_token  uuid,
  last_error   text,
  failures     integer     NOT NULL DEFAULT 0,
  runs         bigint      NOT NULL DEFAULT 0,
  PRIMARY KEY (job, guild_id)
);
CREATE INDEX IF NOT EXISTS scheduled_runs_due ON scheduled_runs (next_run_at);
