-- Quarter-hour, hour and day rollups of mentions_raw on plain PostgreSQL: declared as views like those of
-- 003 and 011, then made tables kept by triggers, with guild-wide rollups, as 015 does for every family.
CREATE VIEW mentions_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, user_id, target_id, kind,
       sum(mentions)::bigint AS mentions
FROM mentions_raw
GROUP BY 1, guild_id, user_id, target_id, kind;

CREATE VIEW mentions_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, user_id, target_id, kind,
       sum(mentions)::bigint AS mentions
FROM mentions_raw
GROUP BY 1, guild_id, user_id, target_id, kind;

CREATE VIEW mentions_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, user_id, target_id, kind,
       sum(mentions)::bigint AS mentions
FROM mentions_raw
GROUP BY 1, guild_id, user_id, target_id, kind;

SELECT rollups_materialize('mentions_raw', 'mentions', '{user_id,target_id,kind}', '{bigint,bigint,text}', '{mentions}');
