// Sends a plan's role changes over REST (PUT/DELETE /guilds/{g}/members/{u}/roles/{r}) with the rule as
// the audit-log reason: at most `maxChanges` per run (the rest are left for the next run) and at most
// `perSecond` started per second, so a large change never takes the bot's global limit (50/s, shared by
// every process) from the shards' answers; @discordjs/rest still queues on the route's own bucket.
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { Logger } from '../logger.js';

export interface ApplyResult {
  added: number;
  removed: number;
  /** Members who left before their change (404 Unknown Member). */
  gone: number;
  /** Changes left for the next run. */
  left: number;
  /** Discord refused the role (403: permission or hierarchy changed since the check): the rule stopped. */
  refused?: string;
}

export async function applyChanges(
  rest: REST,
  o: {
    guildId: string;
    roleId: string;
    add: readonly string[];
    remove: readonly string[];
    reason: string;
    maxChanges: number;
    perSecond: number;
    signal?: AbortSignal;
    logger: Logger;
  },
): Promise<ApplyResult> {
  const work = [...o.add.map((id) => ({ id, add: true })), ...o.remove.map((id) => ({ id, add: false }))];
  const out: ApplyResult = { added: 0, removed: 0, gone: 0, left: 0 };
  const started: number[] = [];
  let done = 0;
  for (const w of work) {
    if (done >= o.maxChanges || o.signal?.aborted) break;
    // Pace: no more than perSecond requests begun in any second.
    if (started.length >= o.perSecond) {
      const wait = started[started.length - o.perSecond]! + 1000 - Date.now();
      if (wait > 0) await sleep(wait, undefined, o.signal ? { signal: o.signal } : {}).catch(() => {});
      if (o.signal?.aborted) break;
    }
    started.push(Date.now());
    if (started.length > o.perSecond) started.shift();
    const route = Routes.guildMemberRole(o.guildId, w.id, o.roleId);
    try {
      await (w.add ? rest.put(route, { reason: o.reason }) : rest.delete(route, { reason: o.reason }));
      if (w.add) out.added++;
      else out.removed++;
    } catch (err) {
      if (err instanceof DiscordAPIError && err.status === 404 && err.code === 10007) out.gone++;
      else if (err instanceof DiscordAPIError && err.status === 403) {
        out.refused = err.message;
        o.logger.warn(
          { guild: o.guildId, role: o.roleId, code: err.code },
          'activity role refused by Discord; rule stopped until the next run',
        );
        break;
      } else throw err;
    }
    done++;
  }
  out.left = work.length - done;
  return out;
}
