/** At most `limit` holders at once; the others wait their turn, in order. */
export class Limiter {
  readonly limit: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Waits for a place and takes it; the function returned gives it back (once, however often it is called). */
  async acquire(): Promise<() => void> {
    while (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#running--;
      this.#waiting.shift()?.();
    };
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
