/**
 * The end-to-end part of `npm run bench`: whole SP-initiated sign-ins over real HTTP on loopback, against the real
 * app (buildApp) on SQLite (a temp file) and on PostgreSQL (a schema of its own, dropped afterwards), with a clinic
 * connected to the independent test IdP and its members present:
 *
 *   GET /saml/login  → 302 to the IdP with an AuthnRequest, and the browser-binding cookie
 *   the test IdP signs a response to that request (response and assertion signed, fresh timestamps)
 *   POST /saml/acs   → 303 to the page asked for, with a session cookie
 *
 * At concurrency 1 and 32 it reports sign-ins per second, p50 and p99. The IdP's signing is not our server's work,
 * yet it would compete for the same cores, so each run has three phases and only two are timed:
 *   1. every start, timed;  2. every response signed, untimed;  3. every ACS post, timed.
 * rate = N / (t1 + t3); a sign-in's latency = its start's latency + its ACS post's latency.
 * The browsers are a process of their own (load-client.ts: keep-alive sockets, a new browser per sign-in), so the
 * server's event loop does only the server's work; they still share the machine's cores with it and PostgreSQL.
 * CPU per sign-in, over the timed phases: the server's process (its event loop and verification workers), PostgreSQL's
 * processes where /proc shows them, and the browsers' process.
 */
import { randomBytes } from "node:crypto";
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Writable } from "node:stream";
import { inflateRawSync } from "node:zlib";
import pg from "pg";
import { buildApp } from "../src/app.js";
import type { Clinic } from "../src/clinics/clinic.js";
import { createClinic } from "../src/clinics/clinic.queries.js";
import { loadConfig, type Config } from "../src/config.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { openDatabase, type Db, type Dialect } from "../src/db/open.js";
import { mainOrigin } from "../src/hosts.js";
import { serviceProviderUrls, type ServiceProviderUrls } from "../src/sso/saml/service-provider.js";
import { addClinicMember } from "../src/users/add-member.js";
import { sessionCookieName } from "../src/web/session-cookie.js";
import type { LoadAnswer, LoadCommand } from "./load-client.js";
import { freePort } from "../test/support/harness.js";
import { createTestIdp, type TestIdp } from "../test/support/test-idp.js";

const POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
const OPERATOR_TOKEN = "bench-operator-token-0123456789abcdefghijklmnop";
const MEMBERS = 64;
const CONCURRENCIES = [1, 32] as const;

export interface EndToEndFigures {
  dialect: Dialect;
  concurrency: number;
  signIns: number;
  failures: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The server process's CPU (event loop and verification workers) per sign-in over the timed phases. */
  cpuMsPerSignIn: number;
  /** Of that, the event loop's thread; the rest is the verification workers and V8's own threads (GC, compiling). Null where /proc cannot tell. */
  eventLoopCpuMsPerSignIn: number | null;
  /** PostgreSQL's processes' CPU per sign-in over the timed phases; null on SQLite or where /proc cannot tell. */
  postgresCpuMsPerSignIn: number | null;
  /** The browsers' process (load-client.ts) per sign-in: their HTTP, on the same cores. */
  browsersCpuMsPerSignIn: number;
}

/** Runs every database × concurrency and prints one line each; PostgreSQL is skipped (and said so) when unreachable. */
export async function measureEndToEnd(options: { quick: boolean; dialects?: readonly Dialect[] }): Promise<EndToEndFigures[]> {
  const sizes: Record<(typeof CONCURRENCIES)[number], number> = options.quick ? { 1: 60, 32: 320 } : { 1: 200, 32: 1600 };
  console.log("end-to-end sign-ins over HTTP on loopback (GET /saml/login → test IdP signs → POST /saml/acs → session):");
  console.log("  phases: all starts timed, then all IdP responses signed untimed (the IdP's work, not ours), then all ACS posts timed;");
  console.log("  rate = N / (starts time + ACS time); latency per sign-in = its start + its ACS post");
  const figures: EndToEndFigures[] = [];
  for (const dialect of options.dialects ?? (["sqlite", "postgres"] as const)) {
    const database = await createBenchDatabase(dialect).catch((error: unknown) => {
      console.log(`  ${dialect}: skipped (${error instanceof Error ? error.message : String(error)})`);
      return null;
    });
    if (database === null) continue;
    const site = await startSite(dialect, database.url);
    try {
      // Warm-up, untimed: pool connections opened, code paths compiled, caches filled.
      await runSignIns(site, 32, 64);
      for (const concurrency of CONCURRENCIES) {
        const measured = await runSignIns(site, concurrency, sizes[concurrency]);
        const line = { dialect, concurrency, ...measured };
        figures.push(line);
        console.log(
          `  ${dialect.padEnd(8)} c=${String(concurrency).padStart(2)}  ${String(measured.signIns).padStart(5)} sign-ins  ${measured.perSecond.toFixed(0).padStart(5)}/s  p50 ${measured.p50Ms.toFixed(1).padStart(6)} ms  p99 ${measured.p99Ms.toFixed(1).padStart(6)} ms  CPU ms/sign-in: server ${measured.cpuMsPerSignIn.toFixed(2)}${measured.eventLoopCpuMsPerSignIn === null ? "" : ` (event loop ${measured.eventLoopCpuMsPerSignIn.toFixed(2)})`}${measured.postgresCpuMsPerSignIn === null ? "" : `, PostgreSQL ${measured.postgresCpuMsPerSignIn.toFixed(2)}`}, browsers ${measured.browsersCpuMsPerSignIn.toFixed(2)}  failures ${measured.failures}`,
        );
      }
    } finally {
      await site.close();
      await database.drop();
    }
  }
  console.log("");
  return figures;
}

// ------------------------------------------------------------------------------------------------- site

interface Site {
  dialect: Dialect;
  port: number;
  config: Config;
  clinic: Clinic;
  idp: TestIdp;
  sp: ServiceProviderUrls;
  browsers: LoadClient;
  close(): Promise<void>;
}

interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function createBenchDatabase(dialect: Dialect): Promise<BenchDatabase> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "clinic-bench-"));
    return { url: `sqlite:${join(dir, "app.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}

/** The real app on 127.0.0.1 with one clinic connected to a fresh test IdP, and its members. */
async function startSite(dialect: Dialect, databaseUrl: string): Promise<Site> {
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    OPERATOR_TOKEN,
    DEMO: "0",
    LOG_LEVEL: "info",
    // Every bench browser comes from 127.0.0.1 to one clinic: limits far above the run, so each post is checked
    // against them (their cost is measured) but none is refused.
    ACS_RATE_LIMIT_PER_IP: "1000000",
    ACS_RATE_LIMIT_PER_CLINIC: "1000000",
  });
  const { db } = await openDatabase(config.databaseUrl, { statementTimeoutMs: config.databaseStatementTimeoutMs });
  await migrateToLatest(db);
  const app = await buildApp({
    config,
    db,
    // As in production: one JSON record per request at info level, written to a sink so the cost is paid but not shown.
    logger: { level: "info", stream: discard() },
    signInRateLimitPerMinute: 1_000_000,
  });
  await app.listen({ host: "127.0.0.1", port });
  const browsers = startLoadClient();
  try {
    const clinic = await givenClinicWithMembers(db);
    const idp = await connectIdp(config, clinic, port);
    return {
      dialect,
      port,
      config,
      clinic,
      idp,
      sp: serviceProviderUrls(config, clinic.subdomain),
      browsers,
      close: async () => {
        browsers.stop();
        await app.close();
        await db.destroy();
      },
    };
  } catch (error) {
    browsers.stop();
    await app.close();
    await db.destroy();
    throw error;
  }
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

async function givenClinicWithMembers(db: Db): Promise<Clinic> {
  const created = await createClinic(db, { subdomain: `bench-${process.pid}`, name: "Bench Clinic", seats: MEMBERS + 10 }, new Date());
  if (!created.ok) throw new Error(created.error);
  for (let i = 0; i < MEMBERS; i++) {
    // No password: these members sign in with SSO only (and hashing 64 passwords would only slow the set-up).
    const added = await addClinicMember(
      db,
      created.value,
      { email: memberEmail(i), name: `Member ${i}`, role: "provider" },
      { actor: "bench", ip: null },
      new Date(),
    );
    if (!added.ok) throw new Error(added.error);
  }
  return created.value;
}

function memberEmail(i: number): string {
  return `member-${i}@bench-clinic.example`;
}

/** Connects the clinic through the operator API, as support staff would. */
async function connectIdp(config: Config, clinic: Clinic, port: number): Promise<TestIdp> {
  const idp = await createTestIdp({ entityId: `https://idp.test/${clinic.subdomain}`, ssoUrl: `https://idp.test/${clinic.subdomain}/sso` });
  const body = JSON.stringify({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.certificatePem], preset: "okta" });
  const res = await send(port, "PUT", `${mainOrigin(config)}/api/v1/clinics/${clinic.subdomain}/sso/saml`, body, {
    "content-type": "application/json",
    authorization: `Bearer ${OPERATOR_TOKEN}`,
  });
  if (res.status !== 200) throw new Error(`configuring SSO failed: ${res.status} ${res.body.slice(0, 200)}`);
  return idp;
}

// --------------------------------------------------------------------------------------------------- http

/** One request to 127.0.0.1 with the URL's own Host header (clinic subdomains without DNS), for the set-up. */
function send(
  port: number,
  method: string,
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path: target.pathname, headers: { host: target.host, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The browsers, in their own process (load-client.ts): one command at a time, answered when all its requests are done. */
interface LoadClient {
  run<K extends LoadCommand["kind"]>(command: Extract<LoadCommand, { kind: K }>): Promise<Exclude<LoadAnswer, { kind: "failed" }>>;
  stop(): void;
}

function startLoadClient(): LoadClient {
  // The same TypeScript loader as this process (tsx), so the client runs from its source like the bench.
  const child: ChildProcess = fork(new URL("./load-client.ts", import.meta.url), [], { execArgv: process.execArgv, stdio: "inherit" });
  return {
    run: (command) =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`the bench's browsers stopped (exit ${code})`));
        child.once("exit", onExit);
        child.once("message", (answer: LoadAnswer) => {
          child.off("exit", onExit);
          if (answer.kind === "failed") reject(new Error(answer.message));
          else resolve(answer);
        });
        child.send(command);
      }),
    stop: () => child.disconnect(),
  };
}

// ------------------------------------------------------------------------------------------------ sign-ins

/** `count` sign-ins, `concurrency` at a time, in the three phases described at the top. */
async function runSignIns(site: Site, concurrency: number, count: number): Promise<Omit<EndToEndFigures, "dialect" | "concurrency">> {
  const cpu = serverCpu();
  const started = await site.browsers.run({
    kind: "starts",
    port: site.port,
    loginUrl: `${site.sp.loginUrl}?returnTo=%2Fdashboard`,
    count,
    concurrency,
  });
  if (started.kind !== "started") throw new Error("the browsers answered out of turn");
  const startsCpu = cpu.used();

  // Untimed: the IdP's work (reading the AuthnRequest, signing, its auto-post form). Issued now, so every response
  // is well inside its five-minute validity when posted.
  const posts: Array<{ binding: string; body: string }> = [];
  for (const [i, s] of started.results.entries()) {
    const member = i % MEMBERS;
    const samlResponse = await site.idp.buildResponse({
      spEntityId: site.sp.entityId,
      acsUrl: site.sp.acsUrl,
      email: memberEmail(member),
      inResponseTo: requestIdIn(s.location),
      signing: "both",
      attributes: { email: memberEmail(member), firstName: "Bench", lastName: `Member ${member}` },
      now: new Date(),
    });
    posts.push({ binding: s.binding, body: new URLSearchParams({ SAMLResponse: samlResponse }).toString() });
  }

  const acsCpu = serverCpu();
  const posted = await site.browsers.run({
    kind: "posts",
    port: site.port,
    acsUrl: site.sp.acsUrl,
    sessionCookie: sessionCookieName(site.config),
    posts,
    concurrency,
  });
  if (posted.kind !== "posted") throw new Error("the browsers answered out of turn");
  const acsUsed = acsCpu.used();
  const postgres =
    site.dialect === "postgres" && startsCpu.postgres !== null && acsUsed.postgres !== null ? startsCpu.postgres + acsUsed.postgres : null;
  const eventLoop = startsCpu.eventLoop !== null && acsUsed.eventLoop !== null ? startsCpu.eventLoop + acsUsed.eventLoop : null;
  const used = { process: startsCpu.process + acsUsed.process, eventLoop, postgres };

  const latencies = started.results.map((s, i) => s.ms + (posted.results[i]?.ms ?? 0)).sort((a, b) => a - b);
  return {
    signIns: count,
    failures: posted.results.filter((r) => !r.ok).length,
    perSecond: (count * 1000) / (started.elapsedMs + posted.elapsedMs),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerSignIn: used.process / count,
    eventLoopCpuMsPerSignIn: used.eventLoop === null ? null : used.eventLoop / count,
    postgresCpuMsPerSignIn: used.postgres === null ? null : used.postgres / count,
    browsersCpuMsPerSignIn: (started.cpuMs + posted.cpuMs) / count,
  };
}

/** The ID of the AuthnRequest in an HTTP-Redirect binding URL. */
function requestIdIn(location: string): string {
  const request = new URL(location).searchParams.get("SAMLRequest") ?? "";
  const requestId = /\bID="([^"]+)"/.exec(inflateRawSync(Buffer.from(request, "base64")).toString("utf8"))?.[1];
  if (requestId === undefined) throw new Error("the AuthnRequest has no ID");
  return requestId;
}

/**
 * CPU used from now on by this process (the server: event loop and workers), by its event loop's thread, and by
 * PostgreSQL's processes, in ms.
 */
function serverCpu(): { used(): { process: number; eventLoop: number | null; postgres: number | null } } {
  const processBefore = process.cpuUsage();
  const eventLoopBefore = eventLoopCpuMs();
  const postgresBefore = postgresCpuMs();
  return {
    used: () => {
      const { user, system } = process.cpuUsage(processBefore);
      const eventLoopNow = eventLoopCpuMs();
      const postgresNow = postgresCpuMs();
      return {
        process: (user + system) / 1000,
        eventLoop: eventLoopBefore === null || eventLoopNow === null ? null : eventLoopNow - eventLoopBefore,
        postgres: postgresBefore === null || postgresNow === null ? null : postgresNow - postgresBefore,
      };
    },
  };
}

/** The CPU time of this process's main thread, the event loop's (Linux /proc; null elsewhere), in ms. */
function eventLoopCpuMs(): number | null {
  try {
    return clockTicksMs(readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** utime + stime of a /proc stat line: the 12th and 13th fields after the command name, in clock ticks (100 per second). */
function clockTicksMs(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The CPU time of every process named postgres on this machine (Linux /proc; null elsewhere), in ms. */
function postgresCpuMs(): number | null {
  let ms = 0;
  try {
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue; // gone since the listing
      }
      if (!stat.includes("(postgres)")) continue;
      ms += clockTicksMs(stat);
    }
  } catch {
    return null;
  }
  return ms;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

// Run alone (`npx tsx bench/end-to-end.ts [--quick] [--only=postgres]`) for profiling the ACS path without the rest of the bench.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length);
  await measureEndToEnd({
    quick: process.argv.includes("--quick"),
    ...(only === "sqlite" || only === "postgres" ? { dialects: [only] } : {}),
  });
}
