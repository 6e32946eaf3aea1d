import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { Config } from "./config.js";
import type { Db } from "./db/open.js";
import type { DemoIdp } from "./demo/demo-idp.js";
import { clinicOrigin } from "./hosts.js";
import { humanLogStream } from "./log-lines.js";
import { createSmtpTransport, EmailNotifier } from "./notifications/email-notifier.js";
import { DashboardAndEmailNotifier, DashboardNotifier, type NotificationLog, type Notifier } from "./notifications/notifier.js";
import { LogInvitationMailer, type InvitationMailer } from "./users/invitation-mailer.js";
import { registerDemoIdpRoutes } from "./web/routes/demo-idp.js";
import { pingDatabase } from "./db/health.js";
import { createMetrics } from "./web/metrics.js";
import { createRateLimitRedis } from "./web/rate-limit-store.js";
import type { ReadinessCheck } from "./web/routes/operations.js";
import { buildServer } from "./web/server.js";
import { runSsoUpkeep } from "./web/sso-upkeep.js";
import { pruneSignInRecords } from "./sso/saml/prune-sign-in-records.js";
import { verifyOnThisThread, type ResponseVerifier } from "./sso/saml/response-verifier.js";
import { startVerificationPool, type VerificationPoolOptions } from "./sso/saml/verification-pool.js";

export interface AppOptions {
  config: Config;
  db: Db;
  logger?: FastifyServerOptions["logger"];
  clock?: () => Date;
  signInRateLimitPerMinute?: number;
  /** How invitation links are delivered; by default only noted in the log (without the link). */
  invitationMailer?: InvitationMailer;
  /** The built-in demo identity provider; development only, never in production. */
  demoIdp?: DemoIdp | null;
  /** The verification pool's queue, worker module and worker data, when a test needs other than the defaults. */
  samlVerification?: Partial<Omit<VerificationPoolOptions, "workers">>;
  /** Readiness checks beyond the database's and the SAML verification pool's, for /readyz. */
  readinessChecks?: readonly ReadinessCheck[];
  /** How long /readyz waits for each check; 2 seconds by default. */
  readinessTimeoutMs?: number;
  /** Fed to the worker queue depth gauge at each scrape; by default the verification pool's work in flight. */
  workerQueueDepth?: () => number;
}

// Waiting verifications per worker before the ACS answers 503: at ~1 ms each, a wait of well under 100 ms.
const QUEUED_VERIFICATIONS_PER_WORKER = 64;

/** SAML_WORKERS threads with a bounded queue, or the main thread when it is 0. */
function buildResponseVerifier(
  config: Config,
  overrides: AppOptions["samlVerification"],
  log: () => NotificationLog | null,
): ResponseVerifier {
  if (config.samlWorkers === 0) return verifyOnThisThread();
  return startVerificationPool({
    workers: config.samlWorkers,
    queueLimit: config.samlWorkers * QUEUED_VERIFICATIONS_PER_WORKER,
    // The error's type and message only: never a stack, never the response being verified.
    onWorkerError: (error) => log()?.warn(`SAML verification worker failed and was replaced: ${error.name}: ${error.message}`),
    ...overrides,
  });
}

// Short enough for a load balancer's probe interval; long enough for a busy database to answer "select 1".
const READINESS_TIMEOUT_MS = 2000;

/** Dashboard and log always; email as well once SMTP_URL is set. */
function buildNotifier(config: Config, log: NotificationLog): { notifier: Notifier; settled(): Promise<void> } {
  const dashboard = new DashboardNotifier(log);
  if (!config.smtp) return { notifier: dashboard, settled: async () => {} };
  const email = new EmailNotifier({
    transport: createSmtpTransport(config.smtp.url),
    from: config.smtp.from,
    clinicOrigin: (clinic) => clinicOrigin(config, clinic.subdomain),
  });
  const both = new DashboardAndEmailNotifier(dashboard, email, log);
  return { notifier: both, settled: () => both.settled() };
}

/** Composition root: builds each dependency once and hands it to the HTTP layer. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, db } = options;
  // The default mailer writes to the app's own log, which exists once the server is built.
  let appLog: NotificationLog | null = null;
  const notifications = buildNotifier(config, { info: (message) => appLog?.info(message), warn: (message) => appLog?.warn(message) });
  const samlVerifier = buildResponseVerifier(config, options.samlVerification, () => appLog);
  // Process metrics (event-loop delay among them) are gathered only when someone may read them.
  const metrics = createMetrics({ processMetrics: config.metricsToken !== null });
  metrics.watchWorkerQueueDepth(options.workerQueueDepth ?? (() => samlVerifier.inFlight));
  const ctx = {
    samlVerifier,
    metrics,
    notifier: notifications.notifier,
    invitationMailer: options.invitationMailer ?? new LogInvitationMailer({ info: (message) => appLog?.info(message) }),
    config,
    db,
    clock: options.clock ?? (() => new Date()),
    sessionPolicy: { idleMinutes: config.sessionIdleMinutes, absoluteHours: config.sessionAbsoluteHours },
  };
  const logger = options.logger ?? {
    level: config.logLevel,
    // One readable line per request in development; JSON, one record per line, for log collectors in production.
    ...(config.production ? {} : { stream: humanLogStream(process.stdout) }),
    // Never log headers (cookies, bearer tokens) or query strings (tokens, SAML messages).
    serializers: {
      req: (req: { method: string; url: string; host?: string }) => ({ method: req.method, path: req.url.split("?")[0], host: req.host }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  };
  const readinessChecks: ReadinessCheck[] = [
    { name: "database", check: () => pingDatabase(db) },
    // A worker answers a trivial task: the pool is up and not saturated (a full queue refuses at once).
    { name: "saml_workers", check: async () => void (await samlVerifier.readPostedInResponseTo("")) },
    ...(options.readinessChecks ?? []),
  ];
  const rateLimitRedis = config.redis ? createRateLimitRedis(config.redis.url) : null;
  const app = await buildServer(ctx, {
    logger,
    signInRateLimitPerMinute: options.signInRateLimitPerMinute ?? 20,
    rateLimitRedis,
    readinessChecks,
    readinessTimeoutMs: options.readinessTimeoutMs ?? READINESS_TIMEOUT_MS,
  }).catch((error: unknown) => {
    rateLimitRedis?.disconnect();
    throw error;
  });
  appLog = app.log;
  // Redis down at start is not an outage: limits are counted per process (logged once) until it answers.
  await rateLimitRedis?.connect().catch(() => {});
  app.addHook("onClose", async () => rateLimitRedis?.disconnect());
  // Emails already started are sent (or fail and are logged) before the app stops.
  app.addHook("onClose", () => notifications.settled());
  // In-flight verifications finish, then the worker threads end with the app.
  app.addHook("onClose", () => samlVerifier.close());
  app.addHook("onClose", async () => metrics.registry.clear());
  app.decorate("runSsoUpkeep", () => runSsoUpkeep(ctx, app.log));
  app.decorate("pruneSignInRecords", () => pruneSignInRecords(db, { retentionDays: config.ssoEventRetentionDays }, ctx.clock()));
  if (options.demoIdp && !config.production) registerDemoIdpRoutes(app, ctx, options.demoIdp);
  return app;
}
