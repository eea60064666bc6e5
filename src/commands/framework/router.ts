// Routes interactions to the command modules it is given (src/commands/index.ts). Every command defers at
// once (Discord allows 3 s for the first answer), has a cooldown per server and member, and every failure
// becomes a clear ephemeral reply: never silence, never a stack trace.
import { Events, MessageFlags, type Client, type ChatInputCommandInteraction } from 'discord.js';
import { InFlight } from '../../in-flight.js';
import { commandDeadlineMisses, commandLatency } from '../../metrics.js';
import type { Command } from './command.js';
import { CommandError, quoted, type CommandContext } from './context.js';
import { optionProblem } from './options.js';

/** Postgres is unreachable or overloaded (connection errors, or SQLSTATE class 08 / 53 / 57). */
function isDatabaseOutage(err: unknown): boolean {
  const e = err as { code?: string };
  if (typeof e?.code !== 'string') return false;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code) || /^(08|53|57)/.test(e.code);
}

/** discord.js's errors for options that are missing or of another type than a handler asked for. */
const OPTION_ERRORS = new Set([
  'CommandInteractionOptionNotFound',
  'CommandInteractionOptionType',
  'CommandInteractionOptionEmpty',
  'CommandInteractionOptionNoSubcommand',
  'CommandInteractionOptionNoSubcommandGroup',
  'CommandInteractionOptionInvalidChannelType',
]);

export function userMessageFor(err: unknown): string {
  if (err instanceof CommandError) return err.message;
  if (OPTION_ERRORS.has((err as { code?: string } | null)?.code ?? '')) {
    return 'An option of this command is missing or of the wrong kind. Pick the options Discord offers for it and try again.';
  }
  if (isDatabaseOutage(err) || (err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message))) {
    return 'The statistics database is unavailable right now. Activity is still being counted; try again in a minute.';
  }
  return 'Something went wrong while answering this command. It has been logged.';
}

const DEFAULT_COOLDOWN_MS = 5_000;
/** Discord refuses message content longer than this, error replies included. */
const MAX_CONTENT = 2_000;

/** Chat-input commands this process's router has begun and not yet answered: what a graceful stop awaits. */
export const commandsInFlight = new InFlight();

export interface RouterOptions {
  /** The clock cooldowns are measured on (ms since the epoch); default Date.now. Tests move one forward. */
  now?: () => number;
}

/** Answers the interactions for `commands` (by name, as discord.js guides keep `client.commands`). */
export function routeCommands(
  client: Client,
  commands: ReadonlyMap<string, Command>,
  ctx: CommandContext,
  opts: RouterOptions = {},
): void {
  const now = opts.now ?? Date.now;
  // Last use per server, member and command, for cooldowns; old entries are swept so the map stays small.
  const lastUse = new Map<string, number>();
  const sweep = setInterval(() => {
    const cutoff = now() - 10 * 60_000;
    for (const [k, t] of lastUse) if (t < cutoff) lastUse.delete(k);
  }, 60_000);
  sweep.unref();

  client.on(Events.InteractionCreate, (interaction) => {
    if (interaction.isAutocomplete()) {
      if (!interaction.inCachedGuild()) return;
      const command = commands.get(interaction.commandName);
      void command
        ?.autocomplete?.(interaction, ctx)
        .catch((err: unknown) => ctx.logger.warn({ err, command: interaction.commandName }, 'autocomplete failed'));
      return;
    }
    if (interaction.isButton()) {
      if (!interaction.inCachedGuild()) return;
      const command = commands.get(interaction.customId.split(':')[0] ?? '');
      if (!command?.button) return;
      void command.button(interaction, ctx).catch(async (err: unknown) => {
        if (!(err instanceof CommandError)) ctx.logger.error({ err, button: interaction.customId }, 'button failed');
        const content = userMessageFor(err);
        await (
          interaction.deferred || interaction.replied
            ? interaction.followUp({ content, flags: MessageFlags.Ephemeral })
            : interaction.reply({ content, flags: MessageFlags.Ephemeral })
        ).catch(() => {});
      });
      return;
    }
    if (!interaction.isChatInputCommand()) return;
    if (!interaction.inCachedGuild()) {
      void interaction
        .reply({ content: 'This command works in servers only.', flags: MessageFlags.Ephemeral })
        .catch(() => {});
      return;
    }
    const command = commands.get(interaction.commandName);
    const group = interaction.options.getSubcommandGroup(false);
    const sub = interaction.options.getSubcommand(false);
    const subKey = [group, sub].filter(Boolean).join(' ');
    const key = [interaction.commandName, subKey].filter(Boolean).join(' ');
    // Own properties only: "constructor" or "__proto__" must not find Object.prototype.
    const handler = command && Object.hasOwn(command.handlers, subKey) ? command.handlers[subKey] : undefined;
    const started = process.hrtime.bigint();
    const log = ctx.logger.child({ command: key, interaction: interaction.id, guild: interaction.guildId });

    // Per server and member: someone active in two servers is not slowed down in one by the other.
    const cooldownKey = `${interaction.guildId}:${interaction.user.id}:${interaction.commandName}`;
    const at = now();
    const wait = (lastUse.get(cooldownKey) ?? 0) + (command?.cooldownMs ?? DEFAULT_COOLDOWN_MS) - at;
    if (wait > 0) {
      commandLatency.observe({ command: key, outcome: 'cooldown' }, Number(process.hrtime.bigint() - started) / 1e9);
      void interaction
        .reply({
          content: `Slow down: you can use /${interaction.commandName} again in ${Math.ceil(wait / 1000)} s.`,
          flags: MessageFlags.Ephemeral,
        })
        .catch(() => {});
      return;
    }
    lastUse.set(cooldownKey, at);

    void commandsInFlight.track(
      (async () => {
        let outcome = 'ok';
        try {
          await acknowledge(interaction, command?.ephemeral ?? false);
          if (!handler) throw new CommandError(`Unknown command ${quoted(`/${key}`)}.`);
          const problem = optionProblem(
            command!.data.options as Parameters<typeof optionProblem>[0],
            interaction.options.data as Parameters<typeof optionProblem>[1],
          );
          if (problem) throw new CommandError(problem);
          await handler(interaction, ctx);
        } catch (err) {
          outcome = err instanceof CommandError ? 'user_error' : 'error';
          if (outcome === 'error') log.error({ err }, 'command failed');
          await replyWithError(interaction, userMessageFor(err)).catch((e: unknown) =>
            log.warn({ err: e }, 'could not send the error reply'),
          );
        } finally {
          commandLatency.observe({ command: key, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      })(),
    );
  });
}

/**
 * Discord drops an interaction not acknowledged within 3 s of its creation (Unknown interaction, 10062) and
 * shows "The application did not respond". The one deadline the router and the interactions service keep.
 */
export const ACK_DEADLINE_MS = 3_000;

/** deferReply, counting a miss of Discord's acknowledgement window (stats_command_deadline_misses_total). */
async function acknowledge(interaction: ChatInputCommandInteraction<'cached'>, ephemeral: boolean): Promise<void> {
  try {
    await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  } catch (err) {
    if ((err as { code?: unknown }).code === 10062) commandDeadlineMisses.inc();
    throw err;
  }
  if (Date.now() - interaction.createdTimestamp > ACK_DEADLINE_MS) commandDeadlineMisses.inc();
}

/**
 * Errors are for the invoking member only. A public deferred reply cannot turn ephemeral, so it is
 * deleted and the message follows up ephemerally.
 */
async function replyWithError(interaction: ChatInputCommandInteraction<'cached'>, message: string): Promise<void> {
  const content = message.length > MAX_CONTENT ? `${message.slice(0, MAX_CONTENT - 1)}…` : message;
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ content, flags: MessageFlags.Ephemeral });
  } else if (interaction.ephemeral) {
    await interaction.editReply({ content, embeds: [], files: [], components: [] });
  } else {
    await interaction.deleteReply().catch(() => {});
    await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
  }
}
