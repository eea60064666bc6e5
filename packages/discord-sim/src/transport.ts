// One gateway socket's outgoing side: JSON text frames, or with `compress=zlib-stream` in the URL, binary
// frames from one zlib context for the whole connection, each payload flushed with Z_SYNC_FLUSH so it ends
// with 00 00 ff ff (events/gateway.mdx, "Transport Compression"). Frames keep their order, and a close
// waits for the frames queued before it.
import { constants, createDeflate, type Deflate } from 'node:zlib';
import { WebSocket } from 'ws';

export class Transport {
  private readonly deflate: Deflate | null;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private busy = false;
  private output: Buffer[] = [];
  private pendingClose: { code: number; reason: string } | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly compressed: boolean,
  ) {
    this.deflate = compressed ? createDeflate() : null;
    this.deflate?.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.deflate?.on('error', () => this.ws.terminate());
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes not yet handed to the network: the socket's buffer plus frames waiting for compression. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  send(text: string): void {
    if (!this.open || this.pendingClose) return;
    if (!this.deflate) return this.ws.send(text);
    const b = Buffer.from(text);
    this.queue.push(b);
    this.queuedBytes += b.length;
    this.pump();
  }

  /** Closes after every frame sent before it has gone out. */
  close(code: number, reason: string): void {
    if (this.ws.readyState !== WebSocket.OPEN && this.ws.readyState !== WebSocket.CONNECTING) return;
    if (this.busy || this.queue.length) this.pendingClose ??= { code, reason };
    else this.finish(code, reason);
  }

  terminate(): void {
    this.queue.length = 0;
    this.ws.terminate();
    this.deflate?.destroy();
  }

  // One payload at a time through the shared context, so each frame holds exactly one payload. The output
  // of a flush is collected a turn later (setImmediate), after zlib has emitted all of it.
  private pump(): void {
    if (this.busy || !this.deflate) return;
    const next = this.queue.shift();
    if (!next) {
      if (this.pendingClose) this.finish(this.pendingClose.code, this.pendingClose.reason);
      return;
    }
    this.busy = true;
    this.deflate.write(next);
    this.deflate.flush(constants.Z_SYNC_FLUSH, () =>
      setImmediate(() => {
        this.queuedBytes -= next.length;
        const frame = Buffer.concat(this.output);
        this.output = [];
        if (this.open) this.ws.send(frame, { binary: true });
        this.busy = false;
        this.pump();
      }),
    );
  }

  private finish(code: number, reason: string): void {
    this.deflate?.destroy();
    this.ws.close(code, reason);
  }
}
