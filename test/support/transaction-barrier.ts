import type { Db } from "../../src/db/open.js";

/**
 * Makes a race deterministic: once armed for n, the next n transactions started through the wrapped handle
 * each wait at their start, before touching the database, until all n have arrived; then all go on at once.
 */
export class TransactionBarrier {
  private expected = 0;
  private waiting: Array<() => void> = [];

  /** The handle to give the app: the same database, with every `transaction().execute` passing the barrier. */
  wrap(db: Db): Db {
    return new Proxy(db, {
      get: (target, property) => {
        if (property === "transaction") return () => this.gated(target.transaction());
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  arm(count: number): void {
    this.expected = count;
  }

  /** Lets everyone waiting go and disarms: a flow that never reaches the barrier fails its test instead of hanging it. */
  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    this.expected = 0;
    for (const go of waiting) go();
  }

  private gated<T extends { execute: (...args: never[]) => Promise<unknown> }>(builder: T): T {
    return new Proxy(builder, {
      get: (target, property) => {
        if (property === "execute") {
          return async (...args: Parameters<T["execute"]>) => {
            await this.arrive();
            return target.execute(...args);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  private arrive(): Promise<void> {
    if (this.expected === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === this.expected) this.release();
    });
  }
}
