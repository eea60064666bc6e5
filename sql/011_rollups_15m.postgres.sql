-- Quarter-hour rollups of every raw table, so that every time zone can be cut exactly (docs/architecture.md, invariant 7).
-- The hourly and daily rollups are cut at UTC hours and days: they are exact only for zones whose offset is
-- a whole number of hours (or zero, for days). Every offset in use today (Asia/Kolkata +05:30,
-- Asia/Kathmandu +05:45, Australia/Eucla +08:45, Pacific/Chatham +12:45/+13:45, Australia/Lord_Howe's
-- 30-minute DST shift) is a multiple of 15 minutes, so local hours and days are whole sums of quarter-hours.
--
-- Why 15 minutes and not raw minutes for those zones: a quarter-hour row sums up to 15 minute rows of the
-- same dimensions, so a 30-day answer reads several times fewer rows; and it is the coarsest grain that is
-- exact for every zone. Why keep hourly and daily: they stay the cheapest exact source for UTC and
-- whole-hour zones (most servers) and for UTC dashboards, and on TimescaleDB they hold history older than
-- the raw retention that a rebuilt hierarchy could not restore (see 011_rollups_15m.timescale.sql). The
-- query layer picks the coarsest rollup that is exact for the guild's zone over the range, in one place
-- (src/stats/rollups.ts).
--
-- On plain PostgreSQL these are views, like the hourly and daily ones (003-007): same names and columns
-- as the continuous aggregates, so one set of queries serves both engines. date_bin cuts at UTC
-- quarter-hours whatever the session's TimeZone.
CREATE VIEW messages_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, channel_id, parent_id, user_id,
       sum(messages)::bigint    AS messages,
       sum(words)::bigint       AS words,
       sum(attachments)::bigint AS attachments
FROM messages_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id;

CREATE VIEW voice_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, channel_id, user_id,
       sum(seconds)::bigint AS seconds,
       sum(muted_seconds)::bigint AS muted_seconds,
       sum(deafened_seconds)::bigint AS deafened_seconds,
       sum(streaming_seconds)::bigint AS streaming_seconds,
       sum(video_seconds)::bigint AS video_seconds
FROM voice_raw
GROUP BY 1, guild_id, channel_id, user_id;

CREATE VIEW emojis_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM emojis_raw
GROUP BY 1, guild_id, user_id, emoji, source;

CREATE VIEW app_commands_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, channel_id, user_id, application_id, command,
       sum(uses)::bigint AS uses
FROM app_commands_raw
GROUP BY 1, guild_id, channel_id, user_id, application_id, command;

CREATE VIEW activities_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, user_id, activity,
       sum(seconds)::bigint AS seconds
FROM activities_raw
GROUP BY 1, guild_id, user_id, activity;
