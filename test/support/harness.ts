import { createServer } from "node:net";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { buildApp, type AppOptions } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import type { Clinic } from "../../src/clinics/clinic.js";
import { createClinic } from "../../src/clinics/clinic.queries.js";
import { openDatabase, type Db, type Dialect } from "../../src/db/open.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { createDemoIdp, ensureDemoIdpKey, type DemoIdp } from "../../src/demo/demo-idp.js";
import { clinicOrigin, mainOrigin } from "../../src/hosts.js";
import { addClinicMember, type NewMember } from "../../src/users/add-member.js";
import { createTestDatabase, type TestDatabase } from "./databases.js";
import { HttpClient, csrfFrom } from "./http-client.js";
import { startSiteAlias } from "./site-alias.js";

export const OPERATOR_TOKEN = "test-operator-token-0123456789abcdefghijklmnop";

export interface TestApp {
  dialect: Dialect;
  config: Config;
  db: Db;
  app: FastifyInstance;
  /** The built-in demo IdP, when the test asked for it. */
  demoIdp: DemoIdp | null;
  port: number;
  /** A fresh browser stand-in with an empty cookie jar, connecting from 127.0.0.1 or the loopback address given. */
  client(from?: string): HttpClient;
  main(path?: string): string;
  clinicUrl(subdomain: string, path?: string): string;
  operator: Record<string, string>;
  /** Moves the app's clock (session timeouts, SAML validity windows). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts the real app over real HTTP on 127.0.0.1 against a fresh database of the given dialect. */
export async function startTestApp(
  dialect: Dialect,
  options: {
    env?: Record<string, string>;
    signInRateLimitPerMinute?: number;
    /** The built-in demo IdP; "on-another-site" serves it as http://127.0.0.1:PORT, cross-site to the clinics. */
    withDemoIdp?: boolean | "on-another-site";
    /** Wraps the database handle the app gets (the test keeps the plain one), e.g. to put a barrier in it. */
    wrapDb?: (db: Db) => Db;
    /** Fastify logger options; silent unless a test reads the log. */
    logger?: FastifyServerOptions["logger"];
    /** Readiness checks, their time limit and the worker queue depth source, as the composition root would pass them. */
    operations?: Pick<AppOptions, "readinessChecks" | "readinessTimeoutMs" | "workerQueueDepth">;
    /** A database made by the test itself (e.g. on a PostgreSQL cluster of its own); dropped on close as usual. */
    database?: TestDatabase;
    /** The SAML verification pool's queue limit, worker module and worker data (SAML_WORKERS sets its size). */
    samlVerification?: AppOptions["samlVerification"];
  } = {},
): Promise<TestApp> {
  const database: TestDatabase = options.database ?? (await createTestDatabase(dialect));
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    PORT: String(port),
    OPERATOR_TOKEN,
    DEMO: "0",
    LOG_LEVEL: "silent",
    ...options.env,
  });
  const { db } = await openDatabase(config.databaseUrl, { statementTimeoutMs: config.databaseStatementTimeoutMs }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  await migrateToLatest(db);
  let offsetMs = 0;
  const alias = options.withDemoIdp === "on-another-site" ? await startSiteAlias(port, new URL(mainOrigin(config)).host) : null;
  // The IdP names its own URLs from the main site's address: under the alias they are http://127.0.0.1:ALIAS/demo-idp/….
  const idpConfig = alias ? { ...config, baseDomain: "127.0.0.1", publicPort: alias.port } : config;
  const demoIdp = options.withDemoIdp ? createDemoIdp(idpConfig, await ensureDemoIdpKey(db, new Date())) : null;
  const app = await buildApp({
    demoIdp,
    config,
    db: options.wrapDb ? options.wrapDb(db) : db,
    logger: options.logger ?? false,
    clock: () => new Date(Date.now() + offsetMs),
    signInRateLimitPerMinute: options.signInRateLimitPerMinute ?? 1000,
    ...(options.samlVerification ? { samlVerification: options.samlVerification } : {}),
    ...options.operations,
  });
  await app.listen({ host: "127.0.0.1", port });
  return {
    dialect,
    config,
    db,
    app,
    demoIdp,
    port,
    client: (from) => new HttpClient(port, from),
    main: (path = "/") => `${mainOrigin(config)}${path}`,
    clinicUrl: (subdomain, path = "/") => `${clinicOrigin(config, subdomain)}${path}`,
    operator: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    advanceClock: (ms) => {
      offsetMs += ms;
    },
    close: async () => {
      await alias?.close();
      await app.close();
      await db.destroy();
      await database.drop();
    },
  };
}

let counter = 0;
/** A unique clinic subdomain per test, so tests never share rows. */
export function uniqueSubdomain(prefix = "clinic"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

export async function givenClinic(t: TestApp, seats = 5, name = "Acme Health"): Promise<Clinic> {
  const created = await createClinic(t.db, { subdomain: uniqueSubdomain(), name, seats }, new Date());
  if (!created.ok) throw new Error(created.error);
  return created.value;
}

export const PASSWORD = "correct horse battery staple";

export async function givenMember(t: TestApp, clinic: Clinic, member: Partial<NewMember> & { email: string }) {
  const added = await addClinicMember(
    t.db,
    clinic,
    { name: "Pat Member", role: "provider", password: PASSWORD, ...member },
    { actor: "test", ip: null },
    new Date(),
  );
  if (!added.ok) throw new Error(added.error);
  return added.value;
}

/** Signs in with a password through the real sign-in form of a host; returns the response to the POST. */
export async function signInWithPasswordForm(client: HttpClient, signInUrl: string, email: string, password = PASSWORD) {
  const page = await client.get(signInUrl);
  return client.postForm(signInUrl, { _csrf: csrfFrom(page.body), email, password });
}
