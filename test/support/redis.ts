import { createServer, connect, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { Redis } from "ioredis";
import { buildApp } from "../../src/app.js";
import { freePort, type TestApp } from "./harness.js";
import { HttpClient } from "./http-client.js";

/** The Redis every machine of this project runs (`.ci/run` starts it). */
export const REDIS_URL = "redis://127.0.0.1:6379";

/** A key prefix no other test or run shares; the keys under it are deleted by `deleteRedisKeys`. */
export function uniqueRedisPrefix(): string {
  return `test:${process.pid}:${crypto.randomUUID()}:`;
}

export async function redisKeys(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    return await redis.keys(`${prefix}*`);
  } finally {
    redis.disconnect();
  }
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const keys = await redisKeys(prefix);
  if (keys.length === 0) return;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** The app's log records, parsed, for tests that check what was (and was not) logged. */
export function capturedLog(): { logger: FastifyServerOptions["logger"]; records: { level: number; msg: string }[] } {
  const records: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) records.push(JSON.parse(line));
      done();
    },
  });
  return { logger: { level: "info", stream }, records };
}

export const WARN = 40;

/** A second instance of the app beside `t`: same database, same configuration, its own port, process memory and log. */
export async function startSecondInstance(
  t: TestApp,
  options: { signInRateLimitPerMinute: number; logger?: FastifyServerOptions["logger"] },
): Promise<{ app: FastifyInstance; client(from?: string): HttpClient; close(): Promise<void> }> {
  const port = await freePort();
  const app = await buildApp({
    config: { ...t.config, port },
    db: t.db,
    logger: options.logger ?? false,
    signInRateLimitPerMinute: options.signInRateLimitPerMinute,
  });
  await app.listen({ host: "127.0.0.1", port });
  return { app, client: (from) => new HttpClient(port, from), close: () => app.close() };
}

/** A TCP relay to Redis that a test can stop (every connection cut, new ones refused) and start again on the same port. */
export async function startRedisRelay(): Promise<{
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  hang(): void;
  swallowed(): number;
}> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  // Hung: connections stay open and commands are taken, but nothing reaches Redis and nothing comes back.
  let hung = false;
  let swallowed = 0;
  let server: Server | null = null;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = connect(6379, "127.0.0.1");
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => socket.destroy());
        }
        client.on("data", (data: Buffer) => (hung ? (swallowed += 1) : upstream.write(data)));
        upstream.on("data", (data: Buffer) => hung || client.write(data));
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server ? server.close(() => resolve()) : resolve();
      server = null;
    });
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    hang: () => {
      hung = true;
    },
    swallowed: () => swallowed,
  };
}

/**
 * Waits until the condition holds. The bound is not a speed requirement (a reconnect takes milliseconds): it only
 * turns "never happens" into a failure instead of a run that hangs.
 */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 60_000) throw new Error(`still waiting after a minute: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
