-- Application command uses: ours (INTERACTION_CREATE) and other apps' (messages with interaction
-- metadata), per application and command.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); hypertable
-- and rollups per engine: 006_app_commands.postgres.sql (views), 006_app_commands.timescale.sql (continuous aggregates).
CREATE TABLE app_commands_raw (
  bucket      timestamptz NOT NULL,
  guild_id    bigint      NOT NULL,
  channel_id  bigint      NOT NULL,
  user_id     bigint      NOT NULL,
  application_id bigint      NOT NULL,
  command     text        NOT NULL,
  uses        integer     NOT NULL
);

CREATE INDEX app_commands_raw_guild_bucket_idx ON app_commands_raw (guild_id, bucket);
