// The first response to an HTTP-delivered interaction goes in the HTTP reply itself, not to the callback
// route. The command modules answer through discord.js (deferReply, reply, respond, update...), which POSTs
// every first response to /interactions/{id}/{token}/callback; this REST strategy (@discordjs/rest's
// documented `makeRequest` option) hands that one request to the waiting HTTP reply instead and, once the
// reply has left, answers discord.js with the 204 Discord would have sent, so discord.js marks the
// interaction deferred or replied as usual. Not before: an edit of @original must not overtake the
// acknowledgement it edits. Every other request (editReply, followUp, guild lookups) goes to Discord.
// Discord applies the HTTP reply on its own time, so an edit or follow-up right after it may still find no
// message or webhook (404 Unknown Message / Unknown Webhook): such a request, which changed nothing, is
// sent again a few times within RETRY_WINDOW_MS of the reply.
import { DefaultRestOptions, RESTJSONErrorCodes, type ResponseLike } from 'discord.js';
import type { APIInteractionResponse } from 'discord-api-types/v10';

const CALLBACK = /\/interactions\/(\d+)\/([^/]+)\/callback$/;
/** The interaction's webhook: follow-ups, and its messages (@original). */
const WEBHOOK = /\/webhooks\/\d+\/([^/]+)(?:\/messages\/[^/]+)?$/;
/** How long after an inline acknowledgement a 404 is taken for an acknowledgement not applied yet. */
const RETRY_WINDOW_MS = 5_000;
/** Waits before each new attempt (1.5 s in all). */
const RETRY_DELAYS_MS = [100, 200, 400, 800];
const NOT_YET = new Set<unknown>([RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.UnknownWebhook]);

/** Discord's answer to a callback for an interaction it no longer knows (the acknowledgement never left). */
const UNKNOWN_INTERACTION = JSON.stringify({ message: 'Unknown interaction', code: 10062 });

interface Waiting {
  resolve: (response: APIInteractionResponse) => void;
  /** Settles when the HTTP reply has been sent (true) or the connection closed first (false). */
  sent: Promise<boolean>;
}

export class InlineResponses {
  private readonly waiting = new Map<string, Waiting>();
  /** Interaction tokens acknowledged inline in the last RETRY_WINDOW_MS. */
  private readonly acknowledged = new Set<string>();

  /**
   * Resolves with the first callback discord.js sends for interaction `id`; `sent` tells discord.js
   * whether the HTTP reply carrying it went out.
   */
  expect(id: string, sent: Promise<boolean>): Promise<APIInteractionResponse> {
    return new Promise((resolve) => this.waiting.set(id, { resolve, sent }));
  }

  /** Stops waiting (the HTTP reply went out another way); a late callback then goes over REST. */
  forget(id: string): void {
    this.waiting.delete(id);
  }

  readonly makeRequest = async (url: string, init: RequestInit): Promise<ResponseLike> => {
    const path = new URL(url).pathname;
    const callback = CALLBACK.exec(path);
    const w = callback ? this.waiting.get(callback[1]!) : undefined;
    if (callback && w) {
      // A response with files would be multipart; no command sends one before deferring.
      if (typeof init.body !== 'string')
        throw new Error('a first interaction response with files cannot be sent inline: defer, then edit');
      this.waiting.delete(callback[1]!);
      w.resolve(JSON.parse(init.body) as APIInteractionResponse);
      if (await w.sent) {
        const token = callback[2]!;
        this.acknowledged.add(token);
        setTimeout(() => this.acknowledged.delete(token), RETRY_WINDOW_MS).unref();
        return new Response(null, { status: 204 });
      }
      return new Response(UNKNOWN_INTERACTION, { status: 404, headers: { 'content-type': 'application/json' } });
    }
    const token = WEBHOOK.exec(path)?.[1];
    let res = await DefaultRestOptions.makeRequest(url, init);
    for (const delay of RETRY_DELAYS_MS) {
      if (res.status !== 404 || token === undefined || !this.acknowledged.has(token)) break;
      const text = await res.text();
      let code: unknown;
      try {
        code = (JSON.parse(text) as { code?: unknown }).code;
      } catch {
        // not Discord's JSON error: handed on as it came
      }
      if (!NOT_YET.has(code))
        return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers });
      await new Promise((r) => setTimeout(r, delay));
      res = await DefaultRestOptions.makeRequest(url, init);
    }
    return res;
  };
}
