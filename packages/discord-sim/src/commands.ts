// Application command registration (global and per guild), stored the way Discord echoes it back.
import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  type APIApplicationCommand,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord-api-types/v10';
import type { SnowflakeGenerator } from './snowflake.js';

/** A command as a client sends it (Discord validates it; the simulator takes it as given). */
export type CommandInput = RESTPostAPIApplicationCommandsJSONBody;

export class CommandRegistry {
  readonly global: APIApplicationCommand[] = [];
  readonly guild = new Map<string, APIApplicationCommand[]>();

  constructor(
    private readonly applicationId: string,
    private readonly ids: SnowflakeGenerator,
  ) {}

  list(guildId: string | null): APIApplicationCommand[] {
    return guildId ? (this.guild.get(guildId) ?? []) : this.global;
  }

  private normalize(
    raw: CommandInput,
    guildId: string | null,
    existing: APIApplicationCommand[],
  ): APIApplicationCommand {
    const type = raw.type ?? ApplicationCommandType.ChatInput;
    // Overwriting keeps a command's id when name and type match, as Discord does.
    const prev = existing.find((c) => c.name === raw.name && c.type === type);
    return {
      default_member_permissions: null,
      nsfw: false,
      integration_types: [ApplicationIntegrationType.GuildInstall],
      contexts: null,
      description_localizations: null,
      name_localizations: null,
      options: [],
      ...raw,
      // User and message commands have an empty description (interactions/application-commands.mdx).
      description: raw.type === undefined || raw.type === ApplicationCommandType.ChatInput ? raw.description : '',
      type,
      id: prev?.id ?? this.ids.next(),
      application_id: this.applicationId,
      version: this.ids.next(),
      ...(guildId ? { guild_id: guildId } : {}),
    } as APIApplicationCommand;
  }

  /** Bulk overwrite (PUT): the new list replaces the old one. */
  overwrite(guildId: string | null, raw: CommandInput[]): APIApplicationCommand[] {
    const existing = this.list(guildId);
    const next = raw.map((c) => this.normalize(c, guildId, existing));
    if (guildId) this.guild.set(guildId, next);
    else this.global.splice(0, this.global.length, ...next);
    return next;
  }

  /** Create or update one command (POST). */
  upsert(guildId: string | null, raw: CommandInput): APIApplicationCommand {
    const existing = this.list(guildId);
    const cmd = this.normalize(raw, guildId, existing);
    const rest = existing.filter((c) => c.id !== cmd.id);
    const next = [...rest, cmd];
    if (guildId) this.guild.set(guildId, next);
    else this.global.splice(0, this.global.length, ...next);
    return cmd;
  }

  remove(guildId: string | null, commandId: string): boolean {
    const existing = this.list(guildId);
    const next = existing.filter((c) => c.id !== commandId);
    if (next.length === existing.length) return false;
    if (guildId) this.guild.set(guildId, next);
    else this.global.splice(0, this.global.length, ...next);
    return true;
  }

  /** Guild command first, then global, as the client would see it. */
  idFor(guildId: string, name: string): string | undefined {
    const c = this.list(guildId).find((x) => x.name === name) ?? this.global.find((x) => x.name === name);
    return c ? String(c.id) : undefined;
  }
}
