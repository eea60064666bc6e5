// Whether an answer counts bots' messages, and the note that says so. Bots' messages are recorded only
// while a guild's settings include bots, and stay recorded after the setting is switched off; which authors
// are bots is known from the moment their messages are loaded (bot_authors), so an answer can leave them
// out whatever the setting is now. Unasked, an answer follows the current setting.
import type { Queryable } from '../../db/pool.js';
import { botAuthorCount } from '../../stats/activity.js';
import type { Filter } from '../../stats/families.js';
import type { Bucket } from '../../stats/period.js';
import type { Range } from '../../stats/queries.js';
import { countOf } from './report.js';

export interface BotScope {
  filter: Filter;
  /** What the answer includes, for the footer; undefined when there is nothing to say. */
  note?: string;
}

export async function botScope(
  db: Queryable,
  r: Range,
  align: Bucket,
  f: Filter,
  o: { settingOn: boolean; asked: boolean | null },
): Promise<BotScope> {
  const include = o.asked ?? o.settingOn;
  const bots = await botAuthorCount(db, r, align, f);
  const n = countOf(bots, 'bot');
  if (!include) {
    if (bots > 0) return { filter: { ...f, withoutBots: true }, note: `Bots left out (${n} with messages here)` };
    return {
      filter: { ...f, withoutBots: true },
      note: o.asked === false || o.settingOn ? 'No bot messages here' : undefined,
    };
  }
  const recorded = o.settingOn ? '' : '; recorded only while /settings bots was on';
  if (bots > 0) return { filter: f, note: `Bots' messages included (${n}${recorded})` };
  return {
    filter: f,
    note: o.settingOn
      ? "Bots' messages included (none here)"
      : "No bot messages here: bots' messages are recorded only while /settings bots is on",
  };
}
