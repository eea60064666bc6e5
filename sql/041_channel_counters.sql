-- Channel-name counters (/counters): a voice or category channel whose name the scheduler keeps equal to a
-- template's text (src/channel-counters, src/scheduler/jobs/counters.ts). No personal data: the template,
-- the name last applied, the times of the last renames (Discord allows 2 per channel per 10 minutes, kept
-- here so a held-back change waits instead of spending a 429), and why the counter was switched off.
CREATE TABLE IF NOT EXISTS channel_counters (
  guild_id          bigint        NOT NULL,
  channel_id        bigint        NOT NULL,
  template          text          NOT NULL,
  -- The channel /counters add was used in: where a disabled counter is reported.
  notify_channel_id bigint,
  applied_name      text,
  renamed_at        timestamptz[] NOT NULL DEFAULT '{}',
  -- A change is waiting for the rename limit until then (the scheduler's next run comes no later).
  held_until        timestamptz,
  disabled_reason   text,
  created_at        timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (guild_id, channel_id)
);
