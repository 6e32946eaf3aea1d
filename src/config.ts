import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { z } from "zod";
import { DEFAULT_STATEMENT_TIMEOUT_MS } from "./db/open.js";

/**
 * Whose X-Forwarded-For/Host/Proto is believed: nobody's, the given number of proxies nearest to the app, or
 * peers at these addresses and networks. Never "every hop": the left-most entries are written by the client.
 */
export type TrustedProxies = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "addresses"; addresses: readonly string[] };

/** Everything the process reads from its environment, validated once. */
export interface Config {
  /**
   * Production rules apply (operator token required, SSRF filter, https-only metadata, no demo) unless the site
   * is served over http on localhost or *.localhost without NODE_ENV=production.
   */
  readonly production: boolean;
  readonly databaseUrl: string;
  /** How long one statement may run or wait for a lock before its request gets the 503 page (migrations: no limit). */
  readonly databaseStatementTimeoutMs: number;
  readonly host: string;
  readonly port: number;
  readonly baseDomain: string;
  readonly scheme: "http" | "https";
  /** Port shown in public URLs; null when it is the scheme's default (behind a TLS proxy). */
  readonly publicPort: number | null;
  readonly trustProxy: TrustedProxies;
  readonly operatorToken: string;
  /** True when the operator token was generated at start (demo only) and must be printed. */
  readonly operatorTokenGenerated: boolean;
  readonly demo: boolean;
  readonly logLevel: string;
  readonly sessionIdleMinutes: number;
  readonly sessionAbsoluteHours: number;
  /** SSO events older than this many days are deleted as new ones arrive. */
  readonly ssoEventRetentionDays: number;
  /** SCIM requests one clinic's IdP may make per minute; more are answered 429. */
  readonly scimRequestsPerMinute: number;
  /** Where admins' notices are emailed from; null: they are shown on the dashboard and logged only. */
  readonly smtp: { readonly url: string; readonly from: string } | null;
  /** Bearer token a Prometheus scraper sends for /metrics; null: /metrics is not served (404). */
  readonly metricsToken: string | null;
  /** Rate limits are counted here, shared by every instance; null: each process counts its own. */
  readonly redis: { readonly url: string; readonly keyPrefix: string } | null;
  /** Posts to a clinic's ACS allowed per minute, from one client address and to one clinic. */
  readonly acsRateLimit: { readonly perIpPerMinute: number; readonly perClinicPerMinute: number };
  /** Worker threads that verify SAML responses; 0 verifies on the main thread (tests, benchmarks). */
  readonly samlWorkers: number;
}

const MAX_SAML_WORKERS = 64;

const boolean = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

const perMinute = z.coerce
  .number({ error: "must be a whole number of requests per minute" })
  .int("must be a whole number of requests per minute")
  .min(1, "must be at least 1 per minute")
  .max(1_000_000, "must be at most 1000000 per minute");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must start with sqlite: or postgres://")
    .default("sqlite:./data/app.db"),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ error: "must be a whole number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(100, "must be at least 100 ms")
    .max(600_000, "must be at most 600000 ms (ten minutes)")
    .default(DEFAULT_STATEMENT_TIMEOUT_MS),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a lower-case host name such as localhost or clinics.example.com")
    .default("localhost"),
  PUBLIC_URL_SCHEME: z.enum(["http", "https"]).default("http"),
  PUBLIC_PORT: z.string().regex(/^\d*$/, "must be a port number or empty").optional(),
  TRUST_PROXY: z.string().default("false").transform(parseTrustedProxies),
  OPERATOR_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  DEMO: boolean.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  // Long enough to look back over a quarter's sign-in trouble, short enough not to keep addresses and IPs forever.
  SSO_EVENT_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days" })
    .int("must be a whole number of days")
    .min(1, "must be at least 1 day")
    .max(3650, "must be at most 3650 days")
    .default(90),
  // Okta and Entra ID pace themselves well below this; it stops a runaway or stolen-token loop, per clinic.
  SCIM_REQUESTS_PER_MINUTE: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1, "must be at least 1")
    .max(100_000, "must be at most 100000")
    .default(600),
  SMTP_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return null;
      const url = URL.canParse(value) ? new URL(value) : null;
      if (!url || (url.protocol !== "smtp:" && url.protocol !== "smtps:") || !url.hostname) {
        // The message never repeats the value: it may hold the mail server's password.
        ctx.addIssue({ code: "custom", message: "must be an smtp:// or smtps:// URL such as smtps://user:password@smtp.example.com:465" });
        return z.NEVER;
      }
      return value;
    }),
  // Metrics name clinics' traffic and the process's health: only a scraper holding this token may read them.
  METRICS_TOKEN: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(32, "must be at least 32 characters").optional()),
  SMTP_FROM: z
    .string()
    .regex(/^[^\r\n]+@[^\r\n]+$/, "must be one line with an email address, such as ClinicRooms <no-reply@clinics.example.com>")
    .optional(),
  REDIS_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === "") return null;
      const url = URL.canParse(value) ? new URL(value) : null;
      if (!url || (url.protocol !== "redis:" && url.protocol !== "rediss:") || !url.hostname) {
        // The message never repeats the value: it may hold Redis's password.
        ctx.addIssue({ code: "custom", message: "must be a redis:// or rediss:// URL such as redis://:password@redis.internal:6379/0" });
        return z.NEVER;
      }
      return value;
    }),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,64}$/, "must be 1 to 64 letters, digits and : . _ -")
    .default("clinicrooms:rate-limit:"),
  // A clinic's staff often share one NAT address: at 8 am hundreds may sign in from it within minutes.
  ACS_RATE_LIMIT_PER_IP: perMinute.default(120),
  // Every post costs a full signature check: one clinic's flood must not take the platform's CPU from the others.
  ACS_RATE_LIMIT_PER_CLINIC: perMinute.default(600),
  // More threads than cores only adds switching; 64 is far beyond any machine this runs on.
  // Empty is unset (one per core), not 0: turning the workers off is said with a 0.
  SAML_WORKERS: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.coerce
      .number({ error: "must be a whole number of worker threads" })
      .int("must be a whole number of worker threads")
      .min(0, "must be 0 (verify on the main thread) or more")
      .max(MAX_SAML_WORKERS, `must be at most ${MAX_SAML_WORKERS}`)
      .optional(),
  ),
});

const MAX_PROXY_HOPS = 10;

function parseTrustedProxies(value: string, context: z.RefinementCtx): TrustedProxies {
  const text = value.trim();
  if (text === "" || text === "0" || text === "false") return { kind: "none" };
  if (text === "true") {
    // Trusting every hop lets any client choose its own address (rate limits, audit log) by sending X-Forwarded-For.
    context.addIssue({
      code: "custom",
      message:
        "must say whom to trust: the number of proxies in front of the app (1) or their addresses (10.0.0.0/8,…); true would trust every hop",
    });
    return { kind: "none" };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > MAX_PROXY_HOPS) context.addIssue({ code: "custom", message: `must be a number of proxies from 0 to ${MAX_PROXY_HOPS}` });
    return { kind: "hops", hops };
  }
  const addresses = text.split(",").map((entry) => entry.trim());
  const bad = addresses.filter((entry) => !isAddressOrNetwork(entry));
  if (bad.length > 0) {
    context.addIssue({
      code: "custom",
      message: `must be a number of proxies or a comma-separated list of IP addresses and CIDR networks; not understood: ${bad.join(", ")}`,
    });
  }
  return { kind: "addresses", addresses };
}

function isAddressOrNetwork(entry: string): boolean {
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export class ConfigError extends Error {}

/**
 * Why this start is production, or null for a local development start. Production does not hang on NODE_ENV
 * alone: a deploy that forgets it but is served on a real domain or over https still gets production's rules.
 */
function productionReason(e: { NODE_ENV: string; BASE_DOMAIN: string; PUBLIC_URL_SCHEME: string }): string | null {
  if (e.NODE_ENV === "production") return "NODE_ENV=production";
  if (e.PUBLIC_URL_SCHEME === "https") return "PUBLIC_URL_SCHEME=https";
  if (e.BASE_DOMAIN !== "localhost" && !e.BASE_DOMAIN.endsWith(".localhost")) return `BASE_DOMAIN=${e.BASE_DOMAIN} is not localhost`;
  return null;
}

/** Reads and validates the environment; the only place process.env is read. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const productionBecause = productionReason(e);
  if (productionBecause && !e.OPERATOR_TOKEN) {
    throw new ConfigError(`OPERATOR_TOKEN must be set (at least 32 characters) in production (${productionBecause})`);
  }
  if (productionBecause && e.DEMO) {
    // The demo IdP signs anyone in as anyone: on a real address that is a way into every demo account.
    throw new ConfigError(
      `DEMO=1 is refused in production (${productionBecause}): the demo and its identity provider run only on http://localhost or *.localhost`,
    );
  }
  const defaultPort = e.PUBLIC_URL_SCHEME === "https" ? 443 : 80;
  const publicPort = e.PUBLIC_PORT === undefined ? e.PORT : e.PUBLIC_PORT === "" ? defaultPort : Number(e.PUBLIC_PORT);
  return Object.freeze({
    production: productionBecause !== null,
    databaseUrl: e.DATABASE_URL,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    host: e.HOST,
    port: e.PORT,
    baseDomain: e.BASE_DOMAIN,
    scheme: e.PUBLIC_URL_SCHEME,
    publicPort: publicPort === defaultPort ? null : publicPort,
    trustProxy: Object.freeze(e.TRUST_PROXY),
    operatorToken: e.OPERATOR_TOKEN ?? randomBytes(32).toString("base64url"),
    operatorTokenGenerated: !e.OPERATOR_TOKEN,
    demo: !productionBecause && (e.DEMO ?? true),
    logLevel: e.LOG_LEVEL,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionAbsoluteHours: e.SESSION_ABSOLUTE_HOURS,
    ssoEventRetentionDays: e.SSO_EVENT_RETENTION_DAYS,
    metricsToken: e.METRICS_TOKEN ?? null,
    scimRequestsPerMinute: e.SCIM_REQUESTS_PER_MINUTE,
    smtp: e.SMTP_URL ? Object.freeze({ url: e.SMTP_URL, from: e.SMTP_FROM ?? `ClinicRooms <no-reply@${e.BASE_DOMAIN}>` }) : null,
    redis: e.REDIS_URL ? Object.freeze({ url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX }) : null,
    acsRateLimit: Object.freeze({ perIpPerMinute: e.ACS_RATE_LIMIT_PER_IP, perClinicPerMinute: e.ACS_RATE_LIMIT_PER_CLINIC }),
    samlWorkers: e.SAML_WORKERS ?? Math.min(availableParallelism(), MAX_SAML_WORKERS),
  });
}
