// Every slash command the bot has: one line per command module.
import type { Command } from './command.js';
import { stats } from './stats.js';
import { me } from './me.js';

export const COMMAND_LIST: Command[] = [stats, me];

export const COMMANDS = COMMAND_LIST.map((c) => c.data);

export const BY_NAME = new Map(COMMAND_LIST.map((c) => [c.data.name, c]));
