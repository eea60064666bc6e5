-- Quarter-hour rollups as continuous aggregates on the raw hypertables: same names, columns and types as
-- the views of 011_rollups_15m.postgres.sql (why quarter-hours: see there).
--
-- Built on the raw tables, beside the hourly aggregates, not under them. Rebuilding messages_hourly on top
-- of messages_15m would make it hierarchical, but a continuous aggregate can only be rebuilt from what the
-- raw table still holds (90 days): every materialized hour older than that would be lost in databases
-- that predate this migration. The price of the sibling is that the hourly refresh reads raw minutes as
-- it always did (the last day of chunks, which is in memory).
--
-- Created WITH NO DATA and without policies: until its first refresh an aggregate answers entirely from
-- real time (exact, slower). 012_rollups_15m_backfill materializes the raw data still retained, outside
-- a transaction (a refresh cannot run inside one), and only then adds the refresh and compression
-- policies, so no policy run can move the watermark over unmaterialized history.
CREATE MATERIALIZED VIEW messages_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id
WITH NO DATA;

CREATE MATERIALIZED VIEW voice_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, channel_id, user_id,
       sum(seconds)::bigint AS seconds,
       sum(muted_seconds)::bigint AS muted_seconds,
       sum(deafened_seconds)::bigint AS deafened_seconds,
       sum(streaming_seconds)::bigint AS streaming_seconds,
       sum(video_seconds)::bigint AS video_seconds
FROM voice_raw
GROUP BY 1, guild_id, channel_id, user_id
WITH NO DATA;

CREATE MATERIALIZED VIEW emojis_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source
WITH NO DATA;

CREATE MATERIALIZED VIEW app_commands_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command
WITH NO DATA;

CREATE MATERIALIZED VIEW activities_15m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT time_bucket(INTERVAL '15 minutes', bucket) AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_raw
GROUP BY 1, guild_id, user_id, activity
WITH NO DATA;
