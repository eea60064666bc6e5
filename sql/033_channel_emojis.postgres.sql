-- Quarter-hour, hour and day rollups of channel_emojis_raw on plain PostgreSQL: declared as views like those
-- of 003 and 011, then made tables kept by triggers, with guild-wide rollups, as 015 does for every family.
CREATE VIEW channel_emojis_15m AS
SELECT date_bin(INTERVAL '15 minutes', bucket, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source;

CREATE VIEW channel_emojis_hourly AS
SELECT date_trunc('hour', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source;

CREATE VIEW channel_emojis_daily AS
SELECT date_trunc('day', bucket, 'UTC') AS bucket,
       guild_id, channel_id, parent_id, user_id, emoji, source,
       sum(uses)::bigint AS uses
FROM channel_emojis_raw
GROUP BY 1, guild_id, channel_id, parent_id, user_id, emoji, source;

SELECT rollups_materialize('channel_emojis_raw', 'channel_emojis', '{channel_id,parent_id,user_id,emoji,source}', '{bigint,bigint,bigint,text,text}', '{uses}');
