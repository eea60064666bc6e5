// Test helpers of the simulator package: a raw gateway client for protocol details real clients hide
// (with its own zlib-stream decoder), polling without fixed sleeps, and a hand-made PNG.
import { once } from 'node:events';
import { constants, createInflate, deflateSync, type Inflate } from 'node:zlib';
import { vi } from 'vitest';
import { WebSocket } from 'ws';

export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  await vi.waitFor(
    () => {
      if (!cond()) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

export interface RawFrame {
  op: number;
  t?: string | null;
  s?: number | null;
  d: unknown;
}

/**
 * A minimal gateway client. With `compress`, it asks for zlib-stream and inflates every binary frame
 * through one context, checking that each ends with the Z_SYNC_FLUSH suffix and holds exactly one payload.
 */
export class RawGateway {
  readonly frames: RawFrame[] = [];
  closeCode: number | null = null;
  /** Binary frames received (compressed transport). */
  binaryFrames = 0;
  /** Bytes received on the wire. */
  wireBytes = 0;
  /** The first binary frame as received (compressed transport). */
  firstBinary: Buffer | null = null;
  private readonly inflate: Inflate | null;
  private inflated: Buffer[] = [];
  private readonly pending: Buffer[] = [];
  private inflating = false;

  private constructor(
    readonly ws: WebSocket,
    compress: boolean,
  ) {
    this.inflate = compress ? createInflate() : null;
    this.inflate?.on('data', (c: Buffer) => this.inflated.push(c));
    ws.on('message', (data: Buffer, isBinary) => {
      this.wireBytes += data.length;
      if (!isBinary) return void this.frames.push(JSON.parse(data.toString()) as RawFrame);
      this.binaryFrames++;
      this.firstBinary ??= Buffer.from(data);
      if (!this.inflate) throw new Error('binary frame without compression');
      if (!data.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])))
        throw new Error('compressed frame without the Z_SYNC_FLUSH suffix');
      this.pending.push(data);
      this.inflateNext();
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** One frame at a time through the shared context, so each inflated frame must be exactly one payload. */
  private inflateNext(): void {
    if (this.inflating || !this.inflate) return;
    const data = this.pending.shift();
    if (!data) return;
    this.inflating = true;
    this.inflate.write(data);
    this.inflate.flush(constants.Z_SYNC_FLUSH, () =>
      setImmediate(() => {
        const text = Buffer.concat(this.inflated).toString();
        this.inflated = [];
        this.frames.push(JSON.parse(text) as RawFrame);
        this.inflating = false;
        this.inflateNext();
      }),
    );
  }

  static async open(url: string, o: { compress?: boolean; query?: string } = {}): Promise<RawGateway> {
    const ws = new WebSocket(`${url}?${o.query ?? 'v=10&encoding=json'}${o.compress ? '&compress=zlib-stream' : ''}`);
    const raw = new RawGateway(ws, o.compress ?? false);
    await once(ws, 'open');
    await until(() => raw.frames.some((f) => f.op === 10), 5000, 'HELLO');
    return raw;
  }

  send(op: number, d: unknown): void {
    this.ws.send(JSON.stringify({ op, d }));
  }

  dispatches(t: string): RawFrame[] {
    return this.frames.filter((f) => f.op === 0 && f.t === t);
  }

  async identify(token: string, o: { intents?: number; shard?: [number, number] } = {}): Promise<void> {
    this.send(2, {
      token,
      intents: o.intents ?? 1,
      shard: o.shard ?? [0, 1],
      properties: { os: 'linux', browser: 'raw', device: 'raw' },
    });
    await until(() => this.dispatches('READY').length > 0 || this.closeCode !== null, 5000, 'READY');
    if (this.closeCode !== null) throw new Error(`closed with ${this.closeCode} instead of READY`);
  }

  async closed(timeoutMs = 5000): Promise<number> {
    await until(() => this.closeCode !== null, timeoutMs, 'close');
    return this.closeCode!;
  }

  close(): void {
    this.ws.close(1000);
  }
}

/** A tiny valid 1x1 PNG, built by hand so the test depends on no renderer. */
export function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  const idat = deflateSync(Buffer.from([0, 0x58, 0x65, 0xf2, 0xff]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
