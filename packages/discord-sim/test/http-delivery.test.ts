// HTTP delivery of interactions: signatures any Ed25519 implementation verifies with the public key the
// portal shows, the endpoint URL check (PING/PONG, forged signature refused), and a command POSTed to the
// endpoint whose HTTP response is the first response, held to the acknowledgement window.
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApplicationKeys, startSimulator, type Simulator } from '../src/index.js';

const servers: Server[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function verifies(publicKeyHex: string, req: IncomingMessage, body: Buffer): boolean {
  const key = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyHex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
  const sig = String(req.headers['x-signature-ed25519'] ?? '');
  return (
    /^[0-9a-f]{128}$/.test(sig) &&
    verify(
      null,
      Buffer.concat([Buffer.from(String(req.headers['x-signature-timestamp'])), body]),
      key,
      Buffer.from(sig, 'hex'),
    )
  );
}

/** A minimal endpoint: checks signatures with the portal's public key, then answers with `answer`. */
async function endpoint(
  publicKeyHex: string,
  answer: (payload: { type: number }) => { delayMs?: number; body: unknown },
): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!verifies(publicKeyHex, req, body)) return void res.writeHead(401).end();
      const { delayMs = 0, body: out } = answer(JSON.parse(body.toString()) as { type: number });
      // wall-clock on purpose: a slow endpoint answers after delayMs of real time (Discord's 3 s limit is real).
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)), delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/interactions`;
}

describe('HTTP delivery', () => {
  it('signs with a key pair whose public half verifies, and a different pair does not', () => {
    const keys = new ApplicationKeys();
    const other = new ApplicationKeys();
    expect(keys.publicKeyHex).toMatch(/^[0-9a-f]{64}$/);
    const h = keys.sign('{"type":1}', 1_700_000_000);
    const fake = { headers: h } as unknown as IncomingMessage;
    expect(verifies(keys.publicKeyHex, fake, Buffer.from('{"type":1}'))).toBe(true);
    expect(verifies(other.publicKeyHex, fake, Buffer.from('{"type":1}'))).toBe(false);
    expect(verifies(keys.publicKeyHex, fake, Buffer.from('{"type":2}'))).toBe(false);
  });

  it('accepts an endpoint that verifies signatures, delivers commands to it and records the deferred reply', async () => {
    sim = await startSimulator({ guilds: 1, seed: 3 });
    const url = await endpoint(sim.publicKey, (p) => ({
      body: p.type === 1 ? { type: 1 } : { type: 4, data: { content: 'hello over HTTP' } },
    }));
    await sim.setInteractionsEndpoint(url);
    expect(sim.interactionsEndpointUrl).toBe(url);
    const g = [...sim.world.guilds.keys()][0]!;
    const r = await sim.invokeCommand({
      guildId: g,
      channelId: sim.world.textChannels(g)[0]!.id,
      userId: sim.world.humanMembers(g)[0]!.user.id,
      name: 'me',
    });
    expect(r).toMatchObject({ kind: 'reply', content: 'hello over HTTP' });
    expect(sim.endpointDeliveries).toMatchObject([{ status: 200 }]);
  });

  it('rejects an endpoint that accepts a forged signature, and fails an interaction answered after the window', async () => {
    sim = await startSimulator({ guilds: 1, seed: 3, interactionAckTimeoutMs: 300 });
    const lax = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":1}'),
    );
    servers.push(lax);
    await new Promise<void>((r) => lax.listen(0, '127.0.0.1', r));
    await expect(
      sim.setInteractionsEndpoint(`http://127.0.0.1:${(lax.address() as AddressInfo).port}/`),
    ).rejects.toThrow(/invalid signature was accepted/);
    expect(sim.interactionsEndpointUrl).toBeNull();

    const slow = await endpoint(sim.publicKey, (p) =>
      p.type === 1 ? { body: { type: 1 } } : { delayMs: 600, body: { type: 5 } },
    );
    await sim.setInteractionsEndpoint(slow);
    const g = [...sim.world.guilds.keys()][0]!;
    const reply = sim.invokeCommand({
      guildId: g,
      channelId: sim.world.textChannels(g)[0]!.id,
      userId: sim.world.humanMembers(g)[0]!.user.id,
      name: 'me',
      timeoutMs: 1_500,
    });
    await expect(reply).rejects.toThrow(/no reply/);
    expect(sim.endpointDeliveries).toMatchObject([
      { status: 0, error: expect.stringMatching(/no response within 300 ms/) },
    ]);
  });
});
