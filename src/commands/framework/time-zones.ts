// The time zones a server may choose (/settings timezone, the dashboard): what PostgreSQL and ICU both know.
import type { Queryable } from '../../db/pool.js';

let zoneList: Promise<string[]> | undefined;

/**
 * Zone names an admin may choose: those PostgreSQL knows (it cuts every bucket) and ICU accepts (charts
 * label times with it), current names and their aliases alike, without the posix/ and right/ copies.
 * Read once per process.
 */
export function timeZoneNames(db: Queryable): Promise<string[]> {
  zoneList ??= db
    .query<{ name: string }>(
      "SELECT name FROM pg_timezone_names WHERE name !~ '^(posix|right)/' AND name NOT IN ('posixrules', 'localtime', 'Factory') ORDER BY name",
    )
    .then(({ rows }) => rows.map((r) => r.name).filter(intlKnows))
    .catch((err: unknown) => {
      zoneList = undefined;
      throw err;
    });
  return zoneList;
}

function intlKnows(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * The zone an admin typed, spelled as the tz database spells it (any case accepted), or undefined. The
 * name is kept as chosen: Asia/Kolkata stays Asia/Kolkata, never ICU's older alias Asia/Calcutta.
 */
export async function resolveTimeZone(db: Queryable, typed: string): Promise<string | undefined> {
  const want = typed.trim().toLowerCase();
  return (await timeZoneNames(db)).find((z) => z.toLowerCase() === want);
}

/** Up to 25 zones (Discord's autocomplete limit) containing what was typed, prefix matches first. */
export function suggestTimeZones(names: readonly string[], typed: string): string[] {
  const q = typed.trim().toLowerCase().replace(/ /g, '_');
  if (q === '') return ['UTC', ...names.filter((z) => z !== 'UTC' && z.includes('/'))].slice(0, 25);
  const starts = names.filter(
    (z) =>
      z.toLowerCase().startsWith(q) ||
      z
        .toLowerCase()
        .split('/')
        .some((p) => p.startsWith(q)),
  );
  const contains = names.filter((z) => !starts.includes(z) && z.toLowerCase().includes(q));
  return [...starts, ...contains].slice(0, 25);
}
