/** At most `limit` holders at once; the others wait their turn, in order. */
export class Limiter {
  readonly limit: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Whether a place is free now. */
  get free(): boolean {
    return this.#running < this.limit;
  }

  /** Whether no place is taken. */
  get idle(): boolean {
    return this.#running === 0;
  }

  /** Resolves once a place is free (without taking it). */
  async whenFree(): Promise<void> {
    while (!this.free) await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Takes a place now if one is free; the function returned gives it back (once, however often it is called). */
  tryAcquire(): (() => void) | undefined {
    if (!this.free) return undefined;
    this.#running++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#running--;
      this.#waiting.shift()?.();
    };
  }

  /** Waits for a place and takes it; the function returned gives it back. */
  async acquire(): Promise<() => void> {
    for (;;) {
      const release = this.tryAcquire();
      if (release) return release;
      await this.whenFree();
    }
  }

  /** Runs `task` once a place is free, holding it until the task settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
