// /export: a guild's rows as CSV, for admins (Manage Server). Counter families come from their hourly
// rollups, member joins/leaves from member_events. Rows are streamed from Postgres through a cursor
// (pg-cursor pages, never the whole result in memory) and the file stops below Discord's 8 MiB attachment
// limit, saying where it was truncated. Snowflakes are exported as text, never as numbers.
import { AttachmentBuilder, InteractionContextType, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import Cursor from 'pg-cursor';
import { withTransaction, type Pool } from '../db/pool.js';
import { FAMILIES, rollupOf, type FamilyName } from '../families.js';
import { PERIODS, isPeriod } from '../stats/period.js';
import type { Command } from './framework/command.js';
import { CommandError, quoted } from './framework/context.js';
import { countOf } from './framework/report.js';
import { parseScope } from './framework/filters.js';
import { requireManageGuild } from './framework/permissions.js';

/** A counter family's hourly rollup: its dimensions and metrics per hour (src/families.ts). */
const hourly = (family: FamilyName) =>
  ({
    from: rollupOf(FAMILIES[family], 'hourly'),
    time: 'bucket',
    columns: ['bucket', ...FAMILIES[family].dims, ...FAMILIES[family].metrics],
  }) as const;

/** What can be exported: relation and columns come from constants, never from input. */
export const EXPORTS = {
  messages: hourly('messages'),
  message_details: hourly('message_details'),
  voice: hourly('voice'),
  emojis: hourly('emojis'),
  apps: hourly('apps'),
  activities: hourly('activities'),
  members: {
    from: 'member_events',
    time: 'at',
    columns: [
      'at',
      'guild_id',
      'user_id',
      'kind',
      'attribution',
      'inviter_id',
      'invite_code',
      'account_created_at',
      'bot',
    ],
  },
} as const;

export type ExportTable = keyof typeof EXPORTS;

export function isExportTable(s: string): s is ExportTable {
  return Object.hasOwn(EXPORTS, s);
}

/** Discord's attachment limit is 8 MiB for every server; stay clear of it (multipart overhead). */
export const EXPORT_LIMIT_BYTES = 8 * 1024 * 1024 - 64 * 1024;
const FETCH_ROWS = 2_000;
const TIMESTAMP_COLUMNS = new Set(['bucket', 'at', 'account_created_at']);

/** A cell a spreadsheet would run as a formula (OWASP, CSV injection): = + - @ tab or carriage return first. */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (an activity, command or emoji name typed by
 * anyone) is neutralised as OWASP advises: a leading single quote, and the cell quoted. Numbers (counts,
 * never negative; snowflakes) stay as they are.
 */
export function csvField(v: string): string {
  const text = FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
  return /[",\r\n\t']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface CsvExport {
  csv: Buffer;
  rows: number;
  truncated: boolean;
}

/**
 * The guild's rows of `table` since `since`, oldest first, as CSV with a header. Every column is selected
 * as text (snowflakes stay exact; timestamps are UTC ISO 8601). Stops before `limitBytes`.
 */
export async function exportCsv(
  pool: Pool,
  o: { guildId: string; table: ExportTable; since: Date; limitBytes?: number; roleId?: string },
): Promise<CsvExport> {
  const spec = EXPORTS[o.table];
  const limit = o.limitBytes ?? EXPORT_LIMIT_BYTES;
  const select = spec.columns
    .map((c) =>
      TIMESTAMP_COLUMNS.has(c)
        ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ${c}`
        : `${c}::text AS ${c}`,
    )
    .join(', ');
  const order = [spec.time, ...spec.columns.filter((c) => c !== spec.time && c !== 'guild_id')].slice(0, 4).join(', ');
  const header = spec.columns.join(',') + '\n';
  const chunks: Buffer[] = [Buffer.from(header)];
  let size = chunks[0]!.length;
  let rows = 0;
  let truncated = false;
  // A cursor lives in a transaction; READ ONLY so the export can never write.
  await withTransaction(
    pool,
    async (client) => {
      const params: unknown[] = [o.guildId, o.since];
      // Members who hold the role now (@everyone, the guild's id: every current member), as scope.ts filters.
      let role = '';
      if (o.roleId !== undefined) {
        params.push(o.roleId);
        role = ` AND user_id IN (SELECT user_id FROM member_roles WHERE guild_id = $1::bigint AND role_id = $3::bigint
        UNION ALL SELECT user_id FROM guild_members WHERE guild_id = $1::bigint AND $3::bigint = $1::bigint)`;
      }
      const cursor = client.query(
        new Cursor<(string | null)[]>(
          `SELECT ${select} FROM ${spec.from} WHERE guild_id = $1::bigint AND ${spec.time} >= $2${role} ORDER BY ${order}`,
          params,
          {
            rowMode: 'array',
          },
        ),
      );
      try {
        outer: for (;;) {
          const page = await cursor.read(FETCH_ROWS);
          for (const r of page) {
            const line = Buffer.from(r.map((v) => (v === null ? '' : csvField(v))).join(',') + '\n');
            if (size + line.length > limit) {
              truncated = true;
              break outer;
            }
            chunks.push(line);
            size += line.length;
            rows++;
          }
          if (page.length < FETCH_ROWS) break;
        }
      } finally {
        await cursor.close().catch(() => {}); // COMMIT or ROLLBACK closes it anyway
      }
    },
    'BEGIN READ ONLY',
  );
  return { csv: Buffer.concat(chunks, size), rows, truncated };
}

export function exportNote(table: ExportTable, period: string, e: CsvExport, scopeNote?: string): string {
  const base = `${table}, last ${period}${scopeNote ? ` (${scopeNote})` : ''}: ${countOf(e.rows, 'row')}.`;
  return e.truncated
    ? `${base} The file reached Discord's 8 MiB limit: truncated at ${countOf(e.rows, 'row')}; export a shorter period for the rest.`
    : base;
}

const tableChoices = Object.keys(EXPORTS).map((t) => ({ name: t, value: t }));
const periodChoices = Object.keys(PERIODS).map((p) => ({ name: p, value: p }));

export const exportCommand: Command = {
  data: new SlashCommandBuilder()
    .setName('export')
    .setDescription("Download this server's statistics as CSV (Manage Server)")
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addStringOption((o) =>
      o
        .setName('table')
        .setDescription('What to export')
        .setRequired(true)
        .addChoices(...tableChoices),
    )
    .addStringOption((o) =>
      o
        .setName('period')
        .setDescription('How far back (default 7d)')
        .addChoices(...periodChoices),
    )
    .addRoleOption((o) => o.setName('role').setDescription('Only rows of members who hold this role now'))
    .toJSON(),
  ephemeral: true,
  cooldownMs: 30_000,
  handlers: {
    async ''(i, ctx) {
      requireManageGuild(i, 'export statistics');
      const table = i.options.getString('table', true);
      const period = i.options.getString('period') ?? '7d';
      if (!isExportTable(table)) throw new CommandError(`Unknown table ${quoted(table)}.`);
      if (!isPeriod(period)) throw new CommandError(`Unknown period ${quoted(period)}.`);
      const since = new Date(Date.now() - PERIODS[period].ms);
      const scope = await parseScope(i, ctx);
      const e = await exportCsv(ctx.pool, { guildId: i.guildId, table, since, roleId: scope.filter.roleId });
      const file = new AttachmentBuilder(e.csv, { name: `${table}-${period}-${i.guildId}.csv` });
      await i.editReply({ content: exportNote(table, period, e, scope.notes.join('; ')), files: [file] });
    },
  },
};
