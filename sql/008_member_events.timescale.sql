-- TimescaleDB storage for member events: a hypertable on `at`. Joins and leaves are a few rows per guild
-- per day, so chunks are 30 days (fewer, fuller chunks). No retention policy: invite stats look back over
-- a member's whole history (a rejoin is judged against every earlier join), and no compression: the rows
-- are few and the (guild_id, user_id, at) lookups stay cheap on plain chunks. The indexes of
-- 008_member_events.sql serve every reader, so no default index on `at`.
SELECT create_hypertable('member_events', 'at', chunk_time_interval => INTERVAL '30 days', create_default_indexes => false);
