import { randomBytes } from "node:crypto";
import { z } from "zod";

/** Everything the process reads from its environment, validated once. */
export interface Config {
  readonly env: "development" | "production" | "test";
  readonly databaseUrl: string;
  readonly host: string;
  readonly port: number;
  readonly baseDomain: string;
  readonly scheme: "http" | "https";
  /** Port shown in public URLs; null when it is the scheme's default (behind a TLS proxy). */
  readonly publicPort: number | null;
  readonly trustProxy: boolean;
  readonly operatorToken: string;
  /** True when the operator token was generated at start (demo only) and must be printed. */
  readonly operatorTokenGenerated: boolean;
  readonly demo: boolean;
  readonly logLevel: string;
  readonly sessionIdleMinutes: number;
  readonly sessionAbsoluteHours: number;
  /** SSO events older than this many days are deleted as new ones arrive. */
  readonly ssoEventRetentionDays: number;
}

const boolean = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, "must start with sqlite: or postgres://")
    .default("sqlite:./data/app.db"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a lower-case host name such as localhost or clinics.example.com")
    .default("localhost"),
  PUBLIC_URL_SCHEME: z.enum(["http", "https"]).default("http"),
  PUBLIC_PORT: z.string().regex(/^\d*$/, "must be a port number or empty").optional(),
  TRUST_PROXY: boolean.default(false),
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
});

export class ConfigError extends Error {}

/** Reads and validates the environment; the only place process.env is read. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  if (production && !e.OPERATOR_TOKEN) {
    throw new ConfigError("OPERATOR_TOKEN must be set (at least 32 characters) when NODE_ENV=production");
  }
  const defaultPort = e.PUBLIC_URL_SCHEME === "https" ? 443 : 80;
  const publicPort = e.PUBLIC_PORT === undefined ? e.PORT : e.PUBLIC_PORT === "" ? defaultPort : Number(e.PUBLIC_PORT);
  return Object.freeze({
    env: e.NODE_ENV,
    databaseUrl: e.DATABASE_URL,
    host: e.HOST,
    port: e.PORT,
    baseDomain: e.BASE_DOMAIN,
    scheme: e.PUBLIC_URL_SCHEME,
    publicPort: publicPort === defaultPort ? null : publicPort,
    trustProxy: e.TRUST_PROXY,
    operatorToken: e.OPERATOR_TOKEN ?? randomBytes(32).toString("base64url"),
    operatorTokenGenerated: !e.OPERATOR_TOKEN,
    demo: !production && (e.DEMO ?? true),
    logLevel: e.LOG_LEVEL,
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionAbsoluteHours: e.SESSION_ABSOLUTE_HOURS,
    ssoEventRetentionDays: e.SSO_EVENT_RETENTION_DAYS,
  });
}
