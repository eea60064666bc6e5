-- Activity roles (/autoroles, src/autoroles, the scheduler's "autoroles" job): one rule per role. The rule
-- owns its role: the job gives it to the members who qualify and takes it from those who do not.
--   kind 'threshold': at least `amount` messages (family messages) or minutes in voice (family voice)
--                     in the last `window_days` local days;
--   kind 'top':       the `amount` members with the most of it over that window.
-- No member ids here (nothing for /privacy delete to remove): who holds the role is member_roles.
CREATE TABLE IF NOT EXISTS autorole_rules (
  guild_id        bigint      NOT NULL,
  role_id         bigint      NOT NULL,
  family          text        NOT NULL CHECK (family IN ('messages', 'voice')),
  kind            text        NOT NULL CHECK (kind IN ('threshold', 'top')),
  amount          integer     NOT NULL CHECK (amount > 0),
  window_days     integer     NOT NULL CHECK (window_days BETWEEN 1 AND 365),
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- The last run: when it ended, and how many changes it left for the next (per-run cap).
  evaluated_at    timestamptz,
  pending_changes integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (guild_id, role_id)
);
