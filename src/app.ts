import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { Config } from "./config.js";
import type { Db } from "./db/open.js";
import type { DemoIdp } from "./demo/demo-idp.js";
import { registerDemoIdpRoutes } from "./web/routes/demo-idp.js";
import { buildServer } from "./web/server.js";

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: FastifyServerOptions["logger"];
  clock?: () => Date;
  signInRateLimitPerMinute?: number;
  /** The built-in demo identity provider; development only, never in production. */
  demoIdp?: DemoIdp | null;
}

/** Composition root: builds each dependency once and hands it to the HTTP layer. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  const ctx = {
    config,
    db,
    clock: options.clock ?? (() => new Date()),
    sessionPolicy: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours },
  };
  const logger = options.logger ?? {
    level: config.logLevel,
    // Never log headers (cookies, bearer tokens) or query strings (tokens, SAML messages).
    serializers: {
      req: (req: { method: string; url: string; host?: string }) => ({ method: req.method, path: req.url.split("?")[0], host: req.host }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
  const app = await buildServer(ctx, { logger, signInRateLimitPerMinute: options.signInRateLimitPerMinute ?? 20 });
  if (options.demoIdp && config.env !== "production") registerDemoIdpRoutes(app, ctx, options.demoIdp);
  return app;
}
