// How the commands answer: the embed (colour, title, ranked lines, lists cut to Discord's field limit) and
// the chart reply. Shared by the per-family commands, /stats (stats-report.ts) and the digest.
import { AttachmentBuilder, EmbedBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { formatNumber } from '../../format.js';
import type { ChartSpec } from '../../render/spec.js';
import type { CommandContext } from './context.js';

export const EMBED_COLOR = 0x5865f2;

/** "1 message", "2 messages", "1,204 joins": a count with its noun, singular for exactly one. */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(n)} ${n === 1 ? singular : plural}`;
}

/** Embed lines "`1.` label — value", cut to Discord's 1024-character field limit. */
export function rankLines(rows: { label: string; value: string }[], empty = 'Nothing yet'): string {
  const lines: string[] = [];
  let length = 0;
  for (const [i, r] of rows.entries()) {
    const line = `\`${i + 1}.\` ${r.label} — ${r.value}`;
    if (length + line.length + 1 > 1000) break;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.length > 0 ? lines.join('\n') : empty;
}

/** Items joined by spaces up to the field limit, with "and N more" for the rest. */
export function listField(items: string[], empty: string): string {
  if (items.length === 0) return empty;
  const out: string[] = [];
  let length = 0;
  for (const [i, it] of items.entries()) {
    const rest = items.length - i;
    if (length + it.length + 1 > 980) return `${out.join(' ')} … and ${rest} more`;
    out.push(it);
    length += it.length + 1;
  }
  return out.join(' ');
}

export function reportEmbed(title: string, subtitle: string): EmbedBuilder {
  return new EmbedBuilder().setColor(EMBED_COLOR).setTitle(title).setDescription(subtitle);
}

/** Renders the chart and answers with the embed and the PNG it shows. */
export async function replyWithChart(
  i: ChatInputCommandInteraction<'cached'>,
  ctx: CommandContext,
  spec: ChartSpec,
  embed: EmbedBuilder,
  fileName: string,
): Promise<void> {
  const png = await ctx.render.render(spec);
  const file = new AttachmentBuilder(png, { name: `${fileName}.png` });
  embed.setImage(`attachment://${fileName}.png`);
  await i.editReply({ embeds: [embed], files: [file] });
}
