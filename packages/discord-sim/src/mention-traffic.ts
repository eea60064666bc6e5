// Mention traffic with ground truth: members' messages naming members, roles and @everyone/@here, and
// replies with and without the ping. The truth records whom the driver chose to mention (each target once
// per message, as Discord lists them), never what a parser finds in the content; a reply without the ping
// is not a mention, one with it mentions the replied-to author.
import type { ChatSink } from './driver.js';
import { Rng } from './rng.js';

export interface MentionTrafficOptions {
  messages: number;
  seed?: number;
  guildIds?: string[];
}

export interface MentionTrafficSummary {
  messages: number;
  memberMentions: number;
  roleMentions: number;
  everyoneMentions: number;
  /** Replies that pinged their author / that did not. */
  pingingReplies: number;
  silentReplies: number;
}

export async function sendMentionTraffic(
  sim: ChatSink & {
    truth: { recordMention(g: string, u: string, t: string, k: 'member' | 'role' | 'everyone'): void };
  },
  opts: MentionTrafficOptions,
): Promise<MentionTrafficSummary> {
  const rng = new Rng(opts.seed ?? 0x3e47);
  const summary: MentionTrafficSummary = {
    messages: 0,
    memberMentions: 0,
    roleMentions: 0,
    everyoneMentions: 0,
    pingingReplies: 0,
    silentReplies: 0,
  };
  const guilds = (opts.guildIds ?? [...sim.world.guilds.keys()]).map((id) => sim.world.guild(id)!);
  const last = new Map<string, { id: string; authorId: string }>();
  for (let i = 0; i < opts.messages; i++) {
    const g = rng.pick(guilds);
    const humans = sim.world.humanMembers(g.id);
    const author = rng.pick(humans).user.id;
    const channel = rng.pick(sim.world.textChannels(g.id));
    const words: string[] = [rng.pick(['hey', 'look', 'gg', 'thanks', 'ping'])];
    const targets = new Set<string>();
    for (let k = rng.int(0, 2); k > 0; k--) targets.add(rng.pick([...g.members.values()]).user.id);
    // The same member twice in one message is one mention (Discord lists them once).
    for (const t of targets) words.push(`<@${t}>`, rng.chance(0.2) ? `<@!${t}>` : '');
    const roles = new Set<string>();
    if (rng.chance(0.2)) roles.add(rng.pick(g.roles.filter((r) => r.id !== g.id)).id);
    for (const r of roles) words.push(`<@&${r}>`);
    const everyone = rng.chance(0.05);
    if (everyone) words.push(rng.chance(0.5) ? '@everyone' : '@here');
    const prev = last.get(channel.id);
    const reply =
      prev && rng.chance(0.3) ? { messageId: prev.id, authorId: prev.authorId, ping: rng.chance(0.6) } : undefined;
    if (reply?.ping) targets.add(reply.authorId);
    const sent = sim.sendMessage({
      guildId: g.id,
      channelId: channel.id,
      authorId: author,
      content: words.filter(Boolean).join(' '),
      replyTo: reply,
    });
    last.set(channel.id, { id: sent.id, authorId: author });
    summary.messages++;
    if (reply) summary[reply.ping ? 'pingingReplies' : 'silentReplies']++;
    for (const t of targets) sim.truth.recordMention(g.id, author, t, 'member');
    for (const r of roles) sim.truth.recordMention(g.id, author, r, 'role');
    if (everyone) sim.truth.recordMention(g.id, author, '0', 'everyone');
    summary.memberMentions += targets.size;
    summary.roleMentions += roles.size;
    summary.everyoneMentions += everyone ? 1 : 0;
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  return summary;
}
