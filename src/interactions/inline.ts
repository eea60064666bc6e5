// The first response to an HTTP-delivered interaction goes in the HTTP reply itself, not to the callback
// route. The command modules answer through discord.js (deferReply, reply, respond, update...), which POSTs
// every first response to /interactions/{id}/{token}/callback; this REST strategy (@discordjs/rest's
// documented `makeRequest` option) hands that one request to the waiting HTTP reply instead and, once the
// reply has left, answers discord.js with the 204 Discord would have sent, so discord.js marks the
// interaction deferred or replied as usual. Not before: an edit of @original must not overtake the
// acknowledgement it edits. Every other request (editReply, followUp, guild lookups) goes to Discord.
import { DefaultRestOptions, type ResponseLike } from 'discord.js';
import type { APIInteractionResponse } from 'discord-api-types/v10';

const CALLBACK = /\/interactions\/(\d+)\/[^/]+\/callback$/;

/** Discord's answer to a callback for an interaction it no longer knows (the acknowledgement never left). */
const UNKNOWN_INTERACTION = JSON.stringify({ message: 'Unknown interaction', code: 10062 });

interface Waiting {
  resolve: (response: APIInteractionResponse) => void;
  /** Settles when the HTTP reply has been sent (true) or the connection closed first (false). */
  sent: Promise<boolean>;
}

export class InlineResponses {
  private readonly waiting = new Map<string, Waiting>();

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
    const id = CALLBACK.exec(new URL(url).pathname)?.[1];
    const w = id === undefined ? undefined : this.waiting.get(id);
    if (id !== undefined && w) {
      // A response with files would be multipart; no command sends one before deferring.
      if (typeof init.body !== 'string')
        throw new Error('a first interaction response with files cannot be sent inline: defer, then edit');
      this.waiting.delete(id);
      w.resolve(JSON.parse(init.body) as APIInteractionResponse);
      if (await w.sent) return new Response(null, { status: 204 });
      return new Response(UNKNOWN_INTERACTION, { status: 404, headers: { 'content-type': 'application/json' } });
    }
    return DefaultRestOptions.makeRequest(url, init);
  };
}
