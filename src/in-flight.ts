// Work a process has begun and not yet finished (Redis writes, slash commands), kept as the promises
// themselves so that waiting for it awaits them, not a counter polled on a timer.
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Counts `p` until it settles; returns it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.then(
      () => this.running.delete(p),
      () => this.running.delete(p),
    );
    return p;
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves true once nothing is in flight (work begun meanwhile included), false after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (this.running.size > 0) {
      const left = end - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(this.running), new Promise((r) => (timer = setTimeout(r, left)).unref())]);
      clearTimeout(timer);
    }
    return true;
  }
}
