// What a slash command module provides. Each command lives in its own module and is listed once in
// src/commands/index.ts; the router and the registration at start read only the registry.
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { CommandContext } from './context.js';

export type ChatHandler = (i: ChatInputCommandInteraction<'cached'>, ctx: CommandContext) => Promise<void>;

export interface Command {
  /** Registration payload (SlashCommandBuilder#toJSON()). */
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  /** Keyed by subcommand ('group sub' for groups), or '' for a command without subcommands. */
  handlers: Record<string, ChatHandler>;
  /** Replies only the invoking member sees (settings, privacy, export). Default false. */
  ephemeral?: boolean;
  /** Per member, per command; default 5 s. */
  cooldownMs?: number;
  autocomplete?: (i: AutocompleteInteraction<'cached'>, ctx: CommandContext) => Promise<void>;
  /** Buttons whose custom id starts with `${data.name}:`. */
  button?: (i: ButtonInteraction<'cached'>, ctx: CommandContext) => Promise<void>;
}
