// Routes chat-input interactions to handlers. Every command defers at once (Discord allows 3 s for the
// first answer), and every failure becomes a clear reply: never silence, never a stack trace.
import { Events, type Client, type ChatInputCommandInteraction } from 'discord.js';
import { commandLatency } from '../../metrics.js';
import { CommandError, type CommandContext } from './context.js';
import { statsServer } from './stats-server.js';

type Handler = (i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext) => Promise<void>;

const HANDLERS: Record<string, Handler> = {
  'stats server': statsServer,
};

/** Postgres is unreachable or overloaded (connection errors, or SQLSTATE class 08 / 53 / 57). */
function isDatabaseOutage(err: unknown): boolean {
  const e = err as { code?: string };
  if (typeof e?.code !== 'string') return false;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(e.code) || /^(08|53|57)/.test(e.code);
}

export function userMessageFor(err: unknown): string {
  if (err instanceof CommandError) return err.message;
  if (isDatabaseOutage(err) || (err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message))) {
    return 'The statistics database is unavailable right now. Activity is still being counted; try again in a minute.';
  }
  return 'Something went wrong while answering this command. It has been logged.';
}

export function routeCommands(client: Client, ctx: CommandContext): void {
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    if (!interaction.inCachedGuild()) {
      void interaction.reply({ content: 'This command works in servers only.', ephemeral: true }).catch(() => {});
      return;
    }
    const sub = interaction.options.getSubcommand(false);
    const key = sub ? `${interaction.commandName} ${sub}` : interaction.commandName;
    const handler = HANDLERS[key];
    const started = process.hrtime.bigint();
    const log = ctx.logger.child({ command: key, interaction: interaction.id, guild: interaction.guildId });
    void (async () => {
      let outcome = 'ok';
      try {
        await interaction.deferReply();
        if (!handler) throw new CommandError(`Unknown command "/${key}".`);
        await handler(interaction, ctx);
      } catch (err) {
        outcome = err instanceof CommandError ? 'user_error' : 'error';
        if (outcome === 'error') log.error({ err }, 'command failed');
        const content = userMessageFor(err);
        await (interaction.deferred || interaction.replied
          ? interaction.editReply({ content, embeds: [], files: [] })
          : interaction.reply({ content, ephemeral: true })
        ).catch((e: unknown) => log.warn({ err: e }, 'could not send the error reply'));
      } finally {
        commandLatency.observe({ command: key, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    })();
  });
}
