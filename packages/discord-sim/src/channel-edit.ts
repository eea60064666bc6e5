// PATCH /channels/{id} as Discord answers a channel rename (resources/channel.mdx, "Modify Channel"):
// the bot needs Manage Channels (403, code 50013, without it), a name of 1-100 characters (400, code
// 50035), and on top of the route's bucket a per-channel limit Discord applies to name and topic changes:
// 2 per 10 minutes (a 429 with X-RateLimit-* headers, scope "shared" as for per-resource limits, and
// retry_after until the oldest rename leaves the window). An accepted rename updates the world, dispatches
// CHANNEL_UPDATE and is recorded in the ground truth (truth.channelRenames).
import { PermissionFlagsBits, RESTJSONErrorCodes, type RESTRateLimit } from 'discord-api-types/v10';
import { channelJson } from './payloads.js';
import { memberPermissions } from './permissions.js';
import type { StructureDriver } from './structure.js';
import type { GroundTruth } from './truth.js';
import type { World } from './world.js';

export interface RenameLimit {
  /** Renames per channel per window (Discord: 2). */
  perWindow: number;
  /** Discord: 600,000 ms. */
  windowMs: number;
}

export interface ChannelEditReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const err = (status: number, code: number, message: string): ChannelEditReply => ({ status, body: { code, message } });

export class ChannelEditor {
  /** Times of accepted renames per channel, oldest first (only those inside the window are kept). */
  private readonly renames = new Map<string, number[]>();

  constructor(
    private readonly o: { world: World; structure: StructureDriver; truth: GroundTruth; limit: RenameLimit | null },
  ) {}

  edit(channelId: string, body: Record<string, unknown>, now = Date.now()): ChannelEditReply {
    const { world } = this.o;
    const ch = world.channel(channelId);
    if (!ch) return err(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
    const g = world.guild(ch.guildId);
    if (!g || !g.members.has(world.botUser.id)) return err(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
    if ((memberPermissions(g, world.botUser.id) & PermissionFlagsBits.ManageChannels) === 0n) {
      return err(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
    }
    const name = body.name;
    if (name === undefined) return { status: 200, body: channelJson(ch) }; // nothing the simulator models changes
    if (typeof name !== 'string' || [...name].length < 1 || [...name].length > 100) {
      return {
        status: 400,
        body: {
          code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
          message: 'Invalid Form Body',
          errors: {
            name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] },
          },
        },
      };
    }
    const limit = this.o.limit;
    if (limit) {
      const recent = (this.renames.get(channelId) ?? []).filter((t) => t > now - limit.windowMs);
      const resetAt = (recent[0] ?? now) + limit.windowMs;
      const after = Math.max(0.001, (resetAt - now) / 1000);
      const headers = {
        'x-ratelimit-limit': String(limit.perWindow),
        'x-ratelimit-remaining': String(Math.max(0, limit.perWindow - recent.length - 1)),
        'x-ratelimit-reset': (resetAt / 1000).toFixed(3),
        'x-ratelimit-reset-after': after.toFixed(3),
      };
      if (recent.length >= limit.perWindow) {
        const refusal: RESTRateLimit = {
          message: 'You are being rate limited.',
          retry_after: Math.round(after * 1000) / 1000,
          global: false,
          code: 0,
        };
        return {
          status: 429,
          headers: {
            ...headers,
            'x-ratelimit-remaining': '0',
            'retry-after': String(Math.ceil(after)),
            'x-ratelimit-scope': 'shared',
          },
          body: refusal,
        };
      }
      recent.push(now);
      this.renames.set(channelId, recent);
    }
    const updated = this.o.structure.updateChannel(ch.guildId, channelId, { name });
    this.o.truth.channelRenames.push({ guildId: ch.guildId, channelId, name, at: now });
    // A successful rename reports the route's bucket only (as Discord does): the per-channel limit shows in its 429.
    return { status: 200, body: channelJson(updated) };
  }
}
