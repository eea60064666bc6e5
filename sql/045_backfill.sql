-- Backfill of message history (src/shard/backfill): one job per guild and one cursor per channel. A page
-- of history is loaded into the raw tables in the same transaction as its channel's cursor advance, so a
-- restart resumes after the last committed page and never loads one twice. No member data here: ids of
-- guilds, channels and messages only.
CREATE TABLE IF NOT EXISTS backfill_jobs (
  guild_id bigint PRIMARY KEY,
  -- queued → running → done | failed; a new request re-queues a finished job (never a running one).
  state text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
  -- 'join' (the bot joined the server) or 'command' (/backfill start).
  reason text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  -- Depth, fixed when the job starts (BACKFILL_DAYS of the process that runs it): messages older than
  -- `since` are not read.
  days integer,
  since timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  -- One runner per guild across every process: the lease holder and until when (renewed with every page).
  lease_owner text,
  lease_until timestamptz,
  error text
);

CREATE TABLE IF NOT EXISTS backfill_channels (
  guild_id bigint NOT NULL,
  channel_id bigint NOT NULL,
  -- Thread's parent channel, 0 outside threads.
  parent_id bigint NOT NULL DEFAULT 0,
  -- Only messages with smaller ids are read: the first message the gateway delivered in the channel, or
  -- the moment the bot first saw the server. Fixed when the channel's first page is read.
  cut_id bigint NOT NULL,
  -- Oldest message id loaded; the next page is read before it. Null: nothing read yet.
  cursor_id bigint,
  -- pending → done (reached `since` or the channel's first message) | skipped (the bot cannot read it).
  state text NOT NULL CHECK (state IN ('pending', 'done', 'skipped')),
  -- The channel's first message was reached: nothing older exists, a deeper backfill has nothing to read.
  exhausted boolean NOT NULL DEFAULT false,
  pages integer NOT NULL DEFAULT 0,
  messages_read bigint NOT NULL DEFAULT 0,
  messages_loaded bigint NOT NULL DEFAULT 0,
  note text,
  PRIMARY KEY (guild_id, channel_id)
);
