// Member join/leave events: what a shard writes to its partition's Redis stream and the ingest worker
// loads into member_events. The format lives here, beside families.ts, because both processes use it.
import { isSnowflake } from './families.js';

export const MEMBER_EVENTS = 'member_events';

export type Attribution = 'invite' | 'vanity' | 'unknown';

export interface MemberEvent {
  /** Milliseconds since the epoch: the join time Discord reports, or when the leave arrived. */
  at: number;
  guildId: string;
  userId: string;
  kind: 'join' | 'leave';
  /** Joins only. */
  attribution: Attribution | null;
  inviterId: string | null;
  inviteCode: string | null;
  accountCreatedAt: number;
  bot: boolean;
}

// Invite codes (and vanity codes) are [A-Za-z0-9-]: safe in COPY text rows without escaping.
const CODE_RE = /^[A-Za-z0-9-]{1,64}$/;
const MAX_MS = Date.UTC(9999, 11, 31);
const ATTRIBUTIONS = new Set(['invite', 'vanity', 'unknown']);

/** XADD field/value pairs of one event. */
export function encodeMemberEvent(e: MemberEvent): string[] {
  return [
    'at',
    String(e.at),
    'g',
    e.guildId,
    'u',
    e.userId,
    'k',
    e.kind,
    'a',
    e.attribution ?? '',
    'i',
    e.inviterId ?? '',
    'c',
    e.inviteCode ?? '',
    'ac',
    String(e.accountCreatedAt),
    'b',
    e.bot ? '1' : '0',
  ];
}

function ms(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= MAX_MS ? n : undefined;
}

/** Inverse of encodeMemberEvent; undefined for an entry that could not be loaded (it would fail the COPY). */
export function decodeMemberEvent(fields: readonly string[]): MemberEvent | undefined {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const at = ms(f.get('at'));
  const accountCreatedAt = ms(f.get('ac'));
  const guildId = f.get('g') ?? '';
  const userId = f.get('u') ?? '';
  const kind = f.get('k');
  const attribution = f.get('a') ?? '';
  const inviterId = f.get('i') ?? '';
  const inviteCode = f.get('c') ?? '';
  if (at === undefined || accountCreatedAt === undefined || !isSnowflake(guildId) || !isSnowflake(userId))
    return undefined;
  if (kind !== 'join' && kind !== 'leave') return undefined;
  if (kind === 'join' ? !ATTRIBUTIONS.has(attribution) : attribution !== '') return undefined;
  if (inviterId !== '' && !isSnowflake(inviterId)) return undefined;
  if (inviteCode !== '' && !CODE_RE.test(inviteCode)) return undefined;
  return {
    at,
    guildId,
    userId,
    kind,
    attribution: attribution === '' ? null : (attribution as Attribution),
    inviterId: inviterId === '' ? null : inviterId,
    inviteCode: inviteCode === '' ? null : inviteCode,
    accountCreatedAt,
    bot: f.get('b') === '1',
  };
}
