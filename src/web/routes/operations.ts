import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isBearerToken } from "../bearer-token.js";
import type { WebContext } from "../context.js";
import { notFound, sendProblem } from "../problems.js";
import { statusOf } from "../statuses.js";

/** One named condition for serving traffic (the database answers, the verification workers are up); rejects when unmet. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

type CheckOutcome = "ok" | "failed" | "timed_out";

const OPERATIONS_PATHS = new Set(["/healthz", "/readyz", "/metrics"]);

/** Probes and scrapes: served on the main site's host and on an instance's IP address, never on a clinic's host. */
export function isOperationsRequest(url: string): boolean {
  return OPERATIONS_PATHS.has(url.split("?")[0] ?? "");
}

/** Runs one check, counting a check that has not answered within the limit as failed: a hung database is not ready. */
async function runCheck(check: ReadinessCheck, timeoutMs: number, log: FastifyRequest["log"]): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<CheckOutcome>((resolve) => (timer = setTimeout(() => resolve("timed_out"), timeoutMs)));
  const answered = check.check().then(
    (): CheckOutcome => "ok",
    (error: unknown): CheckOutcome => {
      // The error's code or type only: a driver's message can name hosts and users.
      const why = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.name) : typeof error;
      log.warn({ check: check.name, error: why }, "readiness check failed");
      return "failed";
    },
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz (the process answers: no database, for a liveness probe), /readyz (every readiness check passes
 * within the time limit: for a load balancer), and /metrics (Prometheus text, behind METRICS_TOKEN).
 */
export function registerOperationsRoutes(
  app: FastifyInstance,
  ctx: WebContext,
  options: { readinessChecks: readonly ReadinessCheck[]; readinessTimeoutMs: number },
): void {
  // Probes and scrapes come every few seconds from the platform itself: never rate-limited, never cached.
  const routeOptions = { config: { rateLimit: false }, logLevel: "warn" } as const;
  const mainSiteOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.clinic) return sendProblem(request, reply, notFound);
  };

  app.get("/healthz", { ...routeOptions, onRequest: mainSiteOnly }, async (_request, reply) =>
    reply.header("cache-control", "no-store").send({ status: "ok", checks: {} }),
  );

  app.get("/readyz", { ...routeOptions, onRequest: mainSiteOnly }, async (request, reply) => {
    const outcomes = await Promise.all(
      options.readinessChecks.map(async (check) => [check.name, await runCheck(check, options.readinessTimeoutMs, request.log)] as const),
    );
    const ready = outcomes.every(([, outcome]) => outcome === "ok");
    return reply
      .status(ready ? 200 : statusOf("not_ready"))
      .header("cache-control", "no-store")
      .send({ status: ready ? "ok" : "unavailable", checks: Object.fromEntries(outcomes) });
  });

  app.get("/metrics", { ...routeOptions, onRequest: mainSiteOnly }, async (request, reply) => {
    const token = ctx.config.metricsToken;
    // Not configured: nothing here, the same page as any unknown address.
    if (!token) return sendProblem(request, reply, notFound);
    // No detail for a wrong or missing token: the scraper's operator knows what to send.
    if (!isBearerToken(request.headers.authorization, token)) {
      return reply.status(statusOf("unauthorized")).header("www-authenticate", "Bearer").header("cache-control", "no-store").send();
    }
    return reply
      .header("content-type", ctx.metrics.registry.contentType)
      .header("cache-control", "no-store")
      .send(await ctx.metrics.registry.metrics());
  });
}
