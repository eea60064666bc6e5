-- Application command uses: ours (INTERACTION_CREATE) and other apps' (messages with interaction
-- metadata), per application and command.
-- Append-only per-minute deltas loaded by COPY, like messages_raw (see 001); rollups as in 003.
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

CREATE VIEW app_commands_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command;

CREATE VIEW app_commands_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command;
