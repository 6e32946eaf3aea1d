import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import type { Redis } from "ioredis";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { findClinicWithSamlConnection } from "../sso/saml/connection.queries.js";
import type { TrustedProxies } from "../config.js";
import { isAddressHost, siteForHost } from "../hosts.js";
import { validateSession } from "../sessions/session.js";
import type { WebContext } from "./context.js";
import { sharedRateLimitStore } from "./rate-limit-store.js";
import { clientErrorResponse, handleError, handleFrameworkError, notFound, sendProblem } from "./problems.js";
import { registerBreakGlassRoutes } from "./routes/break-glass.js";
import { registerClinicOnlyFallback } from "./routes/clinic-only.js";
import { registerEmailDomainRoutes } from "./routes/email-domains.js";
import { registerInvitationRoutes } from "./routes/invitations.js";
import { registerManageUsersRoutes } from "./routes/manage-users.js";
import { registerNotificationRoutes } from "./routes/notifications.js";
import { registerMetadataRefreshRoutes } from "./routes/metadata-refresh.js";
import { registerOperatorApi } from "./routes/operator-api.js";
import { registerPageRoutes } from "./routes/pages.js";
import { registerSamlRoutes } from "./routes/saml.js";
import { registerScimRoutes } from "./routes/scim.js";
import { registerScimSettingsRoutes } from "./routes/scim-settings.js";
import { registerSsoSettingsRoutes } from "./routes/sso-settings.js";
import { registerSsoConnectRoutes } from "./routes/sso-connect.js";
import { registerSsoEventLogRoutes } from "./routes/sso-event-log.js";
import { registerSessionApi } from "./routes/session-api.js";
import { registerSignInRoutes } from "./routes/sign-in.js";
import { registerWaitingRoomRoutes } from "./routes/waiting-room.js";
import { registerProviderWaitingRoomRoutes } from "./routes/waiting-room-provider.js";
import { registerWelcomeRoutes } from "./routes/welcome.js";
import { allowedBySessionScope } from "./guards.js";
import { readSessionToken } from "./session-cookie.js";
import { isOperationsRequest, registerOperationsRoutes, type ReadinessCheck } from "./routes/operations.js";
import { REQUEST_ID_HEADER, requestIdGenerator } from "./request-id.js";

export interface ServerOptions {
  logger: FastifyServerOptions["logger"];
  /** Password sign-in attempts allowed per IP per minute. */
  signInRateLimitPerMinute: number;
  /** What /readyz checks (the database, and whatever else the composition root adds). */
  readinessChecks: readonly ReadinessCheck[];
  /** How long /readyz waits for a check before counting it as failed. */
  readinessTimeoutMs: number;
  /** Where rate limits are counted for every instance; null: in this process only. */
  rateLimitRedis: Redis | null;
}

// Forms and API bodies are small; the ACS route raises this for itself.
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The trust function Fastify applies to each hop of X-Forwarded-For, nearest first (hop 0 is the socket's peer):
 * request.ip is the first address that is not trusted, so entries a client wrote itself are never believed.
 */
function fastifyTrustProxy(trusted: TrustedProxies): false | string[] | ((address: string, hop: number) => boolean) {
  switch (trusted.kind) {
    case "none":
      return false;
    // Fastify ignores a bare hop count; this is the count's meaning: the nearest `hops` peers are our proxies.
    case "hops":
      return trusted.hops === 0 ? false : (_address, hop) => hop < trusted.hops;
    case "addresses":
      return [...trusted.addresses];
  }
}

/** Builds the HTTP layer: plugins, the host → clinic and cookie → session hooks, and every route. */
export async function buildServer(ctx: WebContext, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger,
    trustProxy: fastifyTrustProxy(ctx.config.trustProxy),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestIdGenerator(ctx.config.trustProxy),
    // Every refusal goes through the one error mapper: Fastify's own answers are JSON that echoes the path.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: (error, socket) => {
      if (error.code === "ECONNRESET" || !socket.writable) return socket.destroy();
      socket.end(clientErrorResponse(error));
    },
    // Fastify's own two records per request ("incoming request", "request completed") become one, below.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.decorateRequest("clinic", null);
  app.decorateRequest("samlConnection", null);
  app.decorateRequest("auth", null);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => sendProblem(request, reply, notFound));

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        // The ACS answers the IdP's POST and the demo IdP posts to the ACS: form targets are other hosts of ours.
        formAction: null,
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: ctx.config.scheme === "https" ? [] : null,
      },
    },
    hsts: ctx.config.scheme === "https",
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: BODY_LIMIT_BYTES });
  await app.register(fastifyCsrf, {
    cookieKey: ctx.config.scheme === "https" ? "__Host-csrf" : "csrf",
    cookieOpts: { path: "/", httpOnly: true, sameSite: "lax", secure: ctx.config.scheme === "https" },
  });
  const redis = options.rateLimitRedis;
  await app.register(fastifyRateLimit, {
    global: false,
    ...(redis && ctx.config.redis
      ? { store: sharedRateLimitStore(redis, ctx.config.redis.keyPrefix, app.log, () => ctx.clock().getTime()) }
      : {}),
  });
  await app.register(fastifyStatic, {
    root: fileURLToPath(new URL("../../public/", import.meta.url)),
    prefix: "/assets/",
    maxAge: "1h",
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    const site = siteForHost(request.host, ctx.config.baseDomain);
    // Probes and scrapes need neither a clinic nor a session (they answer while the database does not), and may
    // address one instance by its IP rather than by the site's name.
    if (isOperationsRequest(request.url) && (site.kind === "main" || isAddressHost(request.host))) return;
    if (site.kind === "unknown") {
      return sendProblem(request, reply, {
        ...notFound,
        code: "unknown_host",
        message: "This address is not served here.",
        next: undefined,
      });
    }
    if (request.url.startsWith("/assets/")) return;
    if (site.kind === "clinic") {
      const found = await findClinicWithSamlConnection(ctx.db, site.subdomain);
      request.clinic = found?.clinic ?? null;
      request.samlConnection = found?.samlConnection ?? null;
      if (!request.clinic) {
        return sendProblem(request, reply, {
          ...notFound,
          code: "clinic_not_found",
          message: "There is no clinic at this address. Check the spelling of your clinic's link.",
          next: undefined,
        });
      }
    }
    const token = readSessionToken(request, ctx.config);
    request.auth = token ? await validateSession(ctx.db, token, request.clinic?.id ?? null, ctx.sessionPolicy, ctx.clock()) : null;
    if (!(await allowedBySessionScope(request, reply))) return reply;
  });

  // Once the app is stopping, answers in flight close their connection: a kept-alive client would hold the stop open.
  let stopping = false;
  app.addHook("preClose", async () => {
    stopping = true;
  });
  app.addHook("onSend", async (_request, reply) => {
    if (stopping) reply.header("connection", "close");
  });

  // One record per request: method, host, path (never the query: it can carry tokens and SAML messages), status, time.
  app.addHook("onResponse", async (request, reply) => {
    // The route's pattern, never the path: a scanner's made-up paths must not each become a series.
    const route = request.routeOptions.url ?? "unmatched";
    ctx.metrics.countRequest(request.method, route, reply.statusCode);
    if (route === "/saml/acs" && request.method === "POST") ctx.metrics.observeAcsSeconds(reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        host: request.host,
        path: request.url.split("?")[0],
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      "request",
    );
  });
  registerClinicOnlyFallback(app, ctx);
  registerSessionApi(app, ctx);
  registerOperatorApi(app, ctx);
  registerSignInRoutes(app, ctx, options.signInRateLimitPerMinute);
  registerSamlRoutes(app, ctx);
  registerScimRoutes(app, ctx);
  registerScimSettingsRoutes(app, ctx);
  registerManageUsersRoutes(app, ctx);
  registerInvitationRoutes(app, ctx);
  registerWelcomeRoutes(app, ctx);
  registerSsoSettingsRoutes(app, ctx);
  registerNotificationRoutes(app, ctx);
  registerMetadataRefreshRoutes(app, ctx);
  registerEmailDomainRoutes(app, ctx);
  registerBreakGlassRoutes(app, ctx, options.signInRateLimitPerMinute);
  registerSsoConnectRoutes(app, ctx);
  registerSsoEventLogRoutes(app, ctx);
  registerPageRoutes(app, ctx);
  registerWaitingRoomRoutes(app, ctx);
  registerProviderWaitingRoomRoutes(app, ctx);
  registerOperationsRoutes(app, ctx, { readinessChecks: options.readinessChecks, readinessTimeoutMs: options.readinessTimeoutMs });
  return app;
}
