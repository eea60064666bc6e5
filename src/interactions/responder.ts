// Turns a verified interaction payload into the discord.js interaction the command modules expect, and
// returns the first response for the HTTP reply. A discord.js Client that never logs in to the gateway
// (REST only: token on client.rest) builds the interaction exactly as its gateway handler would
// (INTERACTION_CREATE), the shared router (src/commands/framework/router.ts) answers it, and its first response
// comes back through InlineResponses; edits and follow-ups go over the webhook routes as in gateway mode.
import {
  Client,
  ClientApplication,
  ClientUser,
  InteractionResponseType,
  MessageFlags,
  Options,
  Routes,
  type APIApplication,
  type APIInteraction,
  type APIInteractionResponse,
  type APIUser,
} from 'discord.js';
import type { Config } from '../config.js';
import { BOT_CACHE_LIMITS } from '../discord-cache.js';
import type { CommandContext } from '../commands/framework/context.js';
import { routeCommands, type RouterOptions } from '../commands/framework/router.js';
import { BY_NAME } from '../commands/index.js';
import { GuildLoader, NotInGuildError } from './guilds.js';
import { InlineResponses } from './inline.js';

/** If the router has not answered by then, the service does: before ACK_DEADLINE_MS (commands/framework/router.ts), with a margin for the network to Discord. */
const OWN_ANSWER_MS = 2_500;

export type Outcome = 'deferred' | 'replied' | 'bot_absent' | 'unanswered';

export interface Responder {
  client: Client;
  guilds: GuildLoader;
  /** Logs in to REST (token, the bot user and application) without a gateway connection. */
  start(): Promise<void>;
  /**
   * The first response to a verified interaction (types 2, 3, 4, 5), and how it was reached. `sent` settles
   * once the HTTP reply carrying it has gone out (true) or its connection closed first (false).
   */
  respond(payload: APIInteraction, sent: Promise<boolean>): Promise<{ body: APIInteractionResponse; outcome: Outcome }>;
  stop(): Promise<void>;
}

const ephemeral = (content: string): APIInteractionResponse => ({
  type: InteractionResponseType.ChannelMessageWithSource,
  data: { content, flags: MessageFlags.Ephemeral },
});

/** What the service says itself when the router did not answer in time, by interaction type. */
function ownAnswer(payload: APIInteraction): APIInteractionResponse {
  switch (payload.type) {
    case 4:
      return { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } };
    case 3:
      return { type: InteractionResponseType.DeferredMessageUpdate };
    default:
      return ephemeral('This took too long to start. Try again in a moment.');
  }
}

export function createResponder(config: Config, ctx: CommandContext, router: RouterOptions = {}): Responder {
  const inline = new InlineResponses();
  // Caches as small as the shards' (src/discord-cache.ts): nothing is kept beyond what one answer reads.
  const client = new Client({
    intents: [],
    makeCache: Options.cacheWithLimits(BOT_CACHE_LIMITS),
    rest: { api: config.discordApiUrl, makeRequest: inline.makeRequest },
  });
  const guilds = new GuildLoader(client, ctx.settings, ctx.logger);
  routeCommands(client, BY_NAME, ctx, router);

  return {
    client,
    guilds,
    async start() {
      if (!config.discordToken)
        throw new Error('DISCORD_TOKEN is required by the interactions service (edits and follow-ups go over REST)');
      client.rest.setToken(config.discordToken);
      const [user, application] = await Promise.all([
        client.rest.get(Routes.user('@me')) as Promise<APIUser>,
        client.rest.get(Routes.currentApplication()) as Promise<APIApplication>,
      ]);
      // What the READY handler sets (discord.js's constructors are internal, hence the casts): the bot user,
      // whose own member the caches keep, and the application (entitlements in payloads are added to it).
      type Ctor<T, D> = new (c: Client, data: D) => T;
      client.user = new (ClientUser as unknown as Ctor<ClientUser, APIUser>)(client, user);
      client.application = new (ClientApplication as unknown as Ctor<ClientApplication, APIApplication>)(
        client,
        application,
      );
      await ctx.settings.subscribe((guildId) => guilds.has(guildId));
    },
    async respond(payload, sent) {
      if (payload.guild_id) {
        try {
          await guilds.get(payload.guild_id);
        } catch (err) {
          if (!(err instanceof NotInGuildError)) throw err;
          return {
            body:
              payload.type === 4
                ? ownAnswer(payload)
                : ephemeral(
                    'This bot is not in this server, so it has no statistics here. A server manager can add it from its profile.',
                  ),
            outcome: 'bot_absent',
          };
        }
      }
      const first = inline.expect(payload.id, sent);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), OWN_ANSWER_MS)));
      // The same path as a gateway dispatch: discord.js builds the interaction and emits InteractionCreate.
      (
        client as unknown as { actions: { InteractionCreate: { handle(d: unknown): void } } }
      ).actions.InteractionCreate.handle(payload);
      const body = await Promise.race([first, late]);
      clearTimeout(timer);
      if (body)
        return {
          body,
          outcome:
            body.type === InteractionResponseType.DeferredChannelMessageWithSource ||
            body.type === InteractionResponseType.DeferredMessageUpdate
              ? 'deferred'
              : 'replied',
        };
      inline.forget(payload.id);
      return { body: ownAnswer(payload), outcome: 'unanswered' };
    },
    async stop() {
      ctx.settings.close();
      await client.destroy();
    },
  };
}
