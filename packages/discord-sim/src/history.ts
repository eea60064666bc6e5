// Every message the simulator has created, per channel in id order, so GET /channels/{id}/messages can page
// over them as Discord does: `before`, `after` or `around` one id, `limit` 1–100 (default 50), newest first.
// Messages laid down as history (Simulator.seedHistory) are here without ever having been dispatched.
import type { MessageInteractionInput, ReplyInput } from './messages.js';

export interface StoredMessage {
  id: string;
  authorId: string;
  content: string;
  attachments: number;
  webhook: boolean;
  timestamp: number;
  interaction?: MessageInteractionInput;
  replyTo?: ReplyInput;
}

export interface PageQuery {
  before?: string;
  after?: string;
  around?: string;
  limit: number;
}

export class MessageHistory {
  private readonly byChannel = new Map<string, { ids: bigint[]; messages: StoredMessage[] }>();

  add(channelId: string, m: StoredMessage): void {
    let c = this.byChannel.get(channelId);
    if (!c) this.byChannel.set(channelId, (c = { ids: [], messages: [] }));
    const id = BigInt(m.id);
    // Past-dated ids (history) can arrive out of order: insert where the id belongs.
    const at = c.ids.length === 0 || c.ids[c.ids.length - 1]! < id ? c.ids.length : lowerBound(c.ids, id);
    c.ids.splice(at, 0, id);
    c.messages.splice(at, 0, m);
  }

  count(channelId: string): number {
    return this.byChannel.get(channelId)?.ids.length ?? 0;
  }

  /** One page as Discord answers it: at most `limit` messages, newest first. */
  page(channelId: string, q: PageQuery): StoredMessage[] {
    const c = this.byChannel.get(channelId);
    if (!c) return [];
    let from: number;
    let to: number; // [from, to) in ascending order
    if (q.around !== undefined) {
      // Discord centres the page on the id: half before, the message itself when it exists, the rest after.
      const id = BigInt(q.around);
      const mid = lowerBound(c.ids, id);
      const half = Math.floor(q.limit / 2);
      from = Math.max(0, mid - half);
      to = Math.min(c.ids.length, from + q.limit);
    } else if (q.after !== undefined) {
      from = upperBound(c.ids, BigInt(q.after));
      to = Math.min(c.ids.length, from + q.limit);
    } else {
      to = q.before !== undefined ? lowerBound(c.ids, BigInt(q.before)) : c.ids.length;
      from = Math.max(0, to - q.limit);
    }
    return c.messages.slice(from, to).reverse();
  }
}

/** First index whose id is >= id. */
function lowerBound(ids: bigint[], id: bigint): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose id is > id. */
function upperBound(ids: bigint[], id: bigint): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
