import { createRequire } from "node:module";
import type { FastifyRateLimitOptions, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { FastifyBaseLogger } from "fastify";
import { Redis } from "ioredis";

type Counted = { current: number; ttl: number };
type CountCallback = (error: Error | null, result?: Counted) => void;
/** What the plugin really hands `child`: the route's merged limit settings and the route itself (empty for createRateLimit). */
type RouteOptions = { continueExceeding?: boolean; exponentialBackoff?: boolean; routeInfo?: { method?: string; url?: string } };

/** The plugin's own stores, the per-process LRU and the Redis one with its atomic Lua counter. */
interface CountingStore {
  incr(key: string, callback: CountCallback, timeWindow: number, max: number): void;
  read(key: string, callback: CountCallback, timeWindow: number, max: number): void;
  child(routeOptions: RouteOptions): CountingStore;
}

type StoreSettings = { continueExceeding?: boolean; exponentialBackoff?: boolean };

// The plugin exports its stores' constructors only through its `redis` option; we need both, side by side.
const require = createRequire(import.meta.url);
const LocalStore = require("@fastify/rate-limit/store/LocalStore") as new (
  continueExceeding?: boolean,
  exponentialBackoff?: boolean,
) => CountingStore;
const RedisStore = require("@fastify/rate-limit/store/RedisStore") as new (
  continueExceeding: boolean | undefined,
  exponentialBackoff: boolean | undefined,
  redis: Redis,
  keyPrefix: string,
) => CountingStore;

// After a failed command Redis rests this long before it is tried again, so a hung server costs one timeout, not one per request.
const RETRY_AFTER_FAILURE_MS = 5_000;

/** The Redis client for shared rate limits; it connects when `connect()` is called and reconnects by itself for good. */
export function createRateLimitRedis(url: string): Redis {
  return new Redis(url, {
    // Connected by the composition root once the error listener is attached: no unhandled "error" event at start.
    lazyConnect: true,
    // While Redis is away a command fails at once (and is counted in-process) instead of queueing behind the outage.
    enableOfflineQueue: false,
    // A command caught in a lost connection fails instead of being retried while the request waits.
    maxRetriesPerRequest: 0,
    // A count cut off by a lost connection was already made in-process; replaying it on reconnect would count it twice.
    autoResendUnfulfilledCommands: false,
    // A Redis that accepts the connection but does not answer must not hold sign-ins: counted in-process after this.
    commandTimeout: 500,
    connectTimeout: 2_000,
    // Reconnects for as long as the app runs (ioredis's default back-off, capped at 2 s): limits are shared again when it returns.
    retryStrategy: (attempt) => Math.min(attempt * 50, 2_000),
  });
}

/** Whether Redis can count right now; says so in the log once when it goes away and once when it returns. */
class RedisLink {
  private degraded = false;
  private restAfterFailureUntil = 0;

  constructor(
    private readonly redis: Redis,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number,
  ) {
    // Without a listener ioredis prints each failed reconnect; the transition is what an operator needs.
    redis.on("error", (error: Error) => this.lost(error));
    redis.on("ready", () => this.restored());
  }

  usable(): boolean {
    if (this.redis.status !== "ready") {
      this.lost(new Error(`connection ${this.redis.status}`));
      return false;
    }
    return this.now() >= this.restAfterFailureUntil;
  }

  lost(error: Error | null): void {
    this.restAfterFailureUntil = this.now() + RETRY_AFTER_FAILURE_MS;
    if (this.degraded) return;
    this.degraded = true;
    // The message names the host and port at most, never the URL (it may carry Redis's password).
    const reason = error ? { code: (error as { code?: string }).code, message: error.message } : undefined;
    this.log.warn({ reason }, "Redis is unavailable: rate limits are counted in each process until it returns");
  }

  restored(): void {
    this.restAfterFailureUntil = 0;
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info("Redis is back: rate limits are shared between instances again");
  }
}

/** Counts in Redis while it answers, and in this process's memory while it does not: limits never stop applying. */
class SharedOrLocalStore implements CountingStore {
  constructor(
    private readonly shared: CountingStore,
    private readonly local: CountingStore,
    private readonly link: RedisLink,
  ) {}

  incr(key: string, callback: CountCallback, timeWindow: number, max: number): void {
    this.count("incr", key, callback, timeWindow, max);
  }

  read(key: string, callback: CountCallback, timeWindow: number, max: number): void {
    this.count("read", key, callback, timeWindow, max);
  }

  child(routeOptions: RouteOptions): CountingStore {
    // Limiters made with createRateLimit have no route: their keys get an empty route part, not "undefinedundefined".
    const route = routeOptions.routeInfo?.url
      ? routeOptions
      : { ...routeOptions, routeInfo: { ...routeOptions.routeInfo, method: "", url: "" } };
    return new SharedOrLocalStore(this.shared.child(route), this.local.child(routeOptions), this.link);
  }

  private count(method: "incr" | "read", key: string, callback: CountCallback, timeWindow: number, max: number): void {
    if (!this.link.usable()) return this.local[method](key, callback, timeWindow, max);
    this.shared[method](
      key,
      (error, result) => {
        if (error || !result) {
          this.link.lost(error);
          return this.local[method](key, callback, timeWindow, max);
        }
        this.link.restored();
        callback(null, result);
      },
      timeWindow,
      max,
    );
  }
}

/** The store class for @fastify/rate-limit: shared through Redis under `keyPrefix`, per process while Redis is away. */
export function sharedRateLimitStore(
  redis: Redis,
  keyPrefix: string,
  log: FastifyBaseLogger,
  now: () => number,
): FastifyRateLimitStoreCtor {
  const link = new RedisLink(redis, log, now);
  return class extends SharedOrLocalStore {
    constructor(options: FastifyRateLimitOptions) {
      const settings = options as StoreSettings;
      super(
        new RedisStore(settings.continueExceeding, settings.exponentialBackoff, redis, keyPrefix),
        new LocalStore(settings.continueExceeding, settings.exponentialBackoff),
        link,
      );
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
