import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** How a person tried to sign in, as counted by sign-in outcome. */
export type SignInMethod = "saml" | "password";

/** The app's Prometheus metrics: one registry per app, so two apps in one process never share a count. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts one finished sign-in attempt; `reason` is the refusal's stable code, "none" for a success. */
  countSignIn(method: SignInMethod, outcome: "success" | "failure", reason: string): void;
  /** Counts one answered HTTP request by its route pattern (never the raw path: one series per route). */
  countRequest(method: string, route: string, status: number): void;
  /** Records how long one ACS post took to answer. */
  observeAcsSeconds(seconds: number): void;
  /** Reports the SAML verification pool's queue depth, read at each scrape from the function given. */
  watchWorkerQueueDepth(read: () => number): void;
}

// A signed response is verified in a few milliseconds; a sign-in that also provisions a member takes tens.
const ACS_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Builds the metrics of one app. `processMetrics` adds prom-client's default process metrics (CPU, memory,
 * event-loop delay): only when /metrics is served, since they keep an event-loop monitor running.
 */
export function createMetrics(options: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const signIns = new Counter({
    name: "clinicrooms_sign_ins_total",
    help: "Sign-in attempts by method, outcome and reason (the refusal's code; none for a success).",
    labelNames: ["method", "outcome", "reason"] as const,
    registers: [registry],
  });
  const requests = new Counter({
    name: "clinicrooms_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const acs = new Histogram({
    name: "clinicrooms_saml_acs_duration_seconds",
    help: "Time to answer a SAML response posted to the ACS, verification and sign-in included.",
    buckets: ACS_SECONDS_BUCKETS,
    registers: [registry],
  });
  const queueDepthName = "clinicrooms_saml_worker_queue_depth";
  let queueDepth: Gauge | null = null;
  return {
    registry,
    countSignIn: (method, outcome, reason) => signIns.inc({ method, outcome, reason }),
    countRequest: (method, route, status) => requests.inc({ method, route, status: String(status) }),
    observeAcsSeconds: (seconds) => acs.observe(seconds),
    watchWorkerQueueDepth(read) {
      // A pool rebuilt later takes over the gauge rather than clashing with the old one's name.
      if (queueDepth) registry.removeSingleMetric(queueDepthName);
      queueDepth = new Gauge({
        name: queueDepthName,
        help: "SAML responses waiting for a verification worker.",
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
  };
}
