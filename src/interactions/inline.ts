// The first response to an HTTP-delivered interaction goes in the HTTP reply itself, not to the callback
// route. The command modules answer through discord.js (deferReply, reply, respond, update...), which POSTs
// every first response to /interactions/{id}/{token}/callback; this REST strategy (@discordjs/rest's
// documented `makeRequest` option) hands that one request to the waiting HTTP reply instead and answers
// discord.js with the 204 Discord would have sent, so discord.js marks the interaction deferred or replied
// as usual. Every other request (editReply, followUp, guild lookups) goes to Discord.
import { DefaultRestOptions, type ResponseLike } from 'discord.js';
import type { APIInteractionResponse } from 'discord-api-types/v10';

const CALLBACK = /\/interactions\/(\d+)\/[^/]+\/callback$/;

export class InlineResponses {
  private readonly waiting = new Map<string, (response: APIInteractionResponse) => void>();

  /** Resolves with the first callback discord.js sends for interaction `id`. */
  expect(id: string): Promise<APIInteractionResponse> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Stops waiting (the HTTP reply went out another way); a late callback then goes over REST. */
  forget(id: string): void {
    this.waiting.delete(id);
  }

  readonly makeRequest = async (url: string, init: RequestInit): Promise<ResponseLike> => {
    const id = CALLBACK.exec(new URL(url).pathname)?.[1];
    const resolve = id === undefined ? undefined : this.waiting.get(id);
    if (id !== undefined && resolve) {
      // A response with files would be multipart; no command sends one before deferring.
      if (typeof init.body !== 'string') throw new Error('a first interaction response with files cannot be sent inline: defer, then edit');
      this.waiting.delete(id);
      resolve(JSON.parse(init.body) as APIInteractionResponse);
      return new Response(null, { status: 204 });
    }
    return DefaultRestOptions.makeRequest(url, init);
  };
}
