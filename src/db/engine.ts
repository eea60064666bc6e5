// Which storage engine a database runs: TimescaleDB (production) or plain PostgreSQL (CI, the demo).
// Migrations pick their engine variant from this; the stats queries do not care (same relation names,
// same column types on both).
import type { Queryable } from './pool.js';

export const ENGINES = ['postgres', 'timescale'] as const;
export type Engine = (typeof ENGINES)[number];

export function isEngine(value: string): value is Engine {
  return (ENGINES as readonly string[]).includes(value);
}

/**
 * 'timescale' when the server can load TimescaleDB (the extension is installed in this database or
 * available to CREATE EXTENSION), 'postgres' otherwise. pg_available_extensions lists installed ones too.
 */
export async function detectEngine(db: Queryable): Promise<Engine> {
  const { rows } = await db.query<{ available: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available",
  );
  return rows[0]?.available ? 'timescale' : 'postgres';
}
