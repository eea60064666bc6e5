// Interactions over HTTP, as Discord delivers them to an application's Interactions Endpoint URL
// (interactions/overview.mdx, "Receiving an Interaction"; "Setting Up an Endpoint"): every request is
// signed with the application's Ed25519 key (X-Signature-Ed25519 over X-Signature-Timestamp + body); the
// URL is accepted only if a signed PING gets PONG and a request with a bad signature is refused; the HTTP
// response is the interaction's first response and must come within 3 seconds.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { InteractionResponseType, InteractionType } from 'discord-api-types/v10';

export interface SignedHeaders {
  'content-type': 'application/json';
  'x-signature-ed25519': string;
  'x-signature-timestamp': string;
}

export interface EndpointResponse {
  status: number;
  /** The parsed JSON body, or null (not JSON, or no answer in time). */
  json: unknown;
  /** Set when no response came (timeout, connection refused). */
  error?: string;
}

export class ApplicationKeys {
  private readonly privateKey: KeyObject;
  /** The public key as the developer portal shows it: 64 hex digits. */
  readonly publicKeyHex: string;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    // The raw key is the last 32 bytes of its SPKI DER encoding.
    this.publicKeyHex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  }

  /** Headers Discord sends with `body` (timestamp in Unix seconds, default now). */
  sign(body: string | Buffer, timestamp = Math.floor(Date.now() / 1000)): SignedHeaders {
    const ts = String(timestamp);
    const signature = sign(null, Buffer.concat([Buffer.from(ts), Buffer.from(body)]), this.privateKey).toString('hex');
    return { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': ts };
  }
}

/** POSTs `body` with `headers` to `url` and waits at most `timeoutMs` for the whole response. */
export async function postToEndpoint(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<EndpointResponse> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json };
  } catch (err) {
    return {
      status: 0,
      json: null,
      error: (err as Error).name === 'TimeoutError' ? `no response within ${timeoutMs} ms` : (err as Error).message,
    };
  }
}

/**
 * Discord's check of a new endpoint URL: a signed PING must be answered 200 with `{ type: 1 }`, and the
 * same PING with a wrong signature must be refused (Discord sends both and rejects the URL otherwise).
 * Resolves with the reason the URL is rejected, or null when it is accepted.
 */
export async function validateEndpoint(
  url: string,
  keys: ApplicationKeys,
  applicationId: string,
  timeoutMs: number,
): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'the URL must use http or https';
  const ping = JSON.stringify({
    id: '0',
    application_id: applicationId,
    type: InteractionType.Ping,
    token: 'validation',
    version: 1,
  });
  const good = await postToEndpoint(url, ping, { ...keys.sign(ping) }, timeoutMs);
  if (good.error) return `the signed PING got no response: ${good.error}`;
  if (good.status !== 200 || (good.json as { type?: unknown } | null)?.type !== InteractionResponseType.Pong)
    return `the signed PING was answered ${good.status} without a PONG`;
  const forged = { ...keys.sign(ping) };
  // Flip one signature bit: a valid-looking signature that does not match.
  forged['x-signature-ed25519'] =
    (forged['x-signature-ed25519'].startsWith('0') ? '1' : '0') + forged['x-signature-ed25519'].slice(1);
  const bad = await postToEndpoint(url, ping, forged, timeoutMs);
  if (bad.error) return `the request with an invalid signature got no response: ${bad.error}`;
  if (bad.status >= 200 && bad.status < 300)
    return `a request with an invalid signature was accepted (${bad.status}); it must be refused (401)`;
  return null;
}
