// Every slash command the bot has: one module per command in this folder, listed once here; what they share
// is in framework/ (which never imports a command).
import type { Command } from './framework/command.js';
import { stats } from './stats.js';
import { settings } from './settings.js';
import { exportCommand } from './export.js';
import { privacy } from './privacy.js';
import { me } from './me.js';
import { topCommand } from './top.js';
import { emojisCommand } from './emojis.js';
import { voiceCommand } from './voice.js';
import { activityCommand } from './activity.js';
import { growthCommand } from './growth.js';
import { invitesCommand } from './invites.js';
import { appsCommand } from './apps.js';
import { countersCommand } from './counters.js';
import { digestCommand } from './digest.js';
import { inactiveCommand } from './inactive.js';
import { retentionCommand } from './retention.js';
import { autorolesCommand } from './autoroles.js';
import { backfillCommand } from './backfill.js';

export const COMMAND_LIST: Command[] = [
  stats,
  me,
  settings,
  exportCommand,
  privacy,
  topCommand,
  emojisCommand,
  voiceCommand,
  activityCommand,
  growthCommand,
  invitesCommand,
  appsCommand,
  countersCommand,
  digestCommand,
  inactiveCommand,
  retentionCommand,
  autorolesCommand,
  backfillCommand,
];

export const COMMANDS = COMMAND_LIST.map((c) => c.data);

export const BY_NAME = new Map(COMMAND_LIST.map((c) => [c.data.name, c]));
