// Server-side sessions and pending sign-ins in Redis. The browser holds only an opaque random id (cookie);
// the Discord access token, the guild list and the CSRF token stay here. A pending sign-in (state →
// PKCE verifier) is read with GETDEL, so a state is good for one callback only: a replayed or forged
// state finds nothing.
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis.js';
import type { UserGuild } from './discord.js';

export interface Session {
  userId: string;
  username: string;
  accessToken: string;
  /** Guilds the user shares with the bot, with the user's permissions there, as of `guildsAt`. */
  guilds: UserGuild[];
  guildsAt: number;
  csrf: string;
}

export const SESSION_TTL_S = 7 * 24 * 3600;
const PENDING_TTL_S = 600;

export const randomId = (): string => randomBytes(32).toString('base64url');

export class SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:web:session:${id}`;
  }

  private pendingKey(state: string): string {
    return `${this.prefix}:web:oauth-state:${state}`;
  }

  /** Remembers a sign-in in progress; returns its state. */
  async begin(verifier: string): Promise<string> {
    const state = randomId();
    await this.redis.set(this.pendingKey(state), verifier, 'EX', PENDING_TTL_S);
    return state;
  }

  /** The verifier of a pending sign-in, at most once. */
  async finish(state: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(state)) return null;
    return this.redis.getdel(this.pendingKey(state));
  }

  async create(s: Omit<Session, 'csrf'>): Promise<{ id: string; session: Session }> {
    const id = randomId();
    const session = { ...s, csrf: randomId() };
    await this.redis.set(this.key(id), JSON.stringify(session), 'EX', SESSION_TTL_S);
    return { id, session };
  }

  async get(id: string | undefined): Promise<Session | null> {
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const raw = await this.redis.get(this.key(id));
    return raw ? (JSON.parse(raw) as Session) : null;
  }

  async save(id: string, s: Session): Promise<void> {
    await this.redis.set(this.key(id), JSON.stringify(s), 'EX', SESSION_TTL_S);
  }

  async destroy(id: string): Promise<void> {
    await this.redis.unlink(this.key(id));
  }
}
