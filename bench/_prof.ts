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
 * The HTTP client runs in this process too (keep-alive sockets, one browser cookie jar per sign-in).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
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
  /** This process's CPU (the app, and the HTTP client beside it) per sign-in over the timed phases. */
  cpuMsPerSignIn: number;
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
    const site = await startSite(database.url);
    try {
      // Warm-up, untimed: pool connections opened, code paths compiled, caches filled.
      await runSignIns(site, 32, 64);
      if (process.env.COUNT_QUERIES) { (globalThis as any).__log = []; await runSignIns(site, 1, 1); console.log((globalThis as any).__log.join("\n")); (globalThis as any).__log = undefined; }
      for (const concurrency of CONCURRENCIES) {
        const measured = await runSignIns(site, concurrency, sizes[concurrency]);
        const line = { dialect, concurrency, ...measured };
        figures.push(line);
        console.log(
          `  ${dialect.padEnd(8)} c=${String(concurrency).padStart(2)}  ${String(measured.signIns).padStart(5)} sign-ins  ${measured.perSecond.toFixed(0).padStart(5)}/s  p50 ${measured.p50Ms.toFixed(1).padStart(6)} ms  p99 ${measured.p99Ms.toFixed(1).padStart(6)} ms  CPU ${measured.cpuMsPerSignIn.toFixed(2)} ms/sign-in  failures ${measured.failures}`,
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
  port: number;
  config: Config;
  clinic: Clinic;
  idp: TestIdp;
  sp: ServiceProviderUrls;
  agent: Agent;
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
async function startSite(databaseUrl: string): Promise<Site> {
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
  const { db } = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const counted = process.env.COUNT_QUERIES ? db.withPlugin({
    transformQuery(args: any) { if ((globalThis as any).__log) (globalThis as any).__log.push(args.node.kind + " " + JSON.stringify(args.node.from?.froms?.[0]?.table?.identifier?.name ?? args.node.into?.table?.identifier?.name ?? args.node.table?.table?.identifier?.name ?? "")); return args.node; },
    async transformResult(args: any) { return args.result; },
  } as any) : db;
  const app = await buildApp({
    config,
    db: counted,
    // As in production: one JSON record per request at info level, written to a sink so the cost is paid but not shown.
    logger: { level: "info", stream: discard() },
    signInRateLimitPerMinute: 1_000_000,
  });
  await app.listen({ host: "127.0.0.1", port });
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const clinic = await givenClinicWithMembers(db);
    const idp = await connectIdp(config, clinic, agent, port);
    return {
      port,
      config,
      clinic,
      idp,
      sp: serviceProviderUrls(config, clinic.subdomain),
      agent,
      close: async () => {
        agent.destroy();
        await app.close();
        await db.destroy();
      },
    };
  } catch (error) {
    agent.destroy();
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
async function connectIdp(config: Config, clinic: Clinic, agent: Agent, port: number): Promise<TestIdp> {
  const idp = await createTestIdp({ entityId: `https://idp.test/${clinic.subdomain}`, ssoUrl: `https://idp.test/${clinic.subdomain}/sso` });
  const body = JSON.stringify({ idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.certificatePem], preset: "okta" });
  const res = await send(agent, port, "PUT", `${mainOrigin(config)}/api/v1/clinics/${clinic.subdomain}/sso/saml`, body, {
    "content-type": "application/json",
    authorization: `Bearer ${OPERATOR_TOKEN}`,
  });
  if (res.status !== 200) throw new Error(`configuring SSO failed: ${res.status} ${res.body.slice(0, 200)}`);
  return idp;
}

// --------------------------------------------------------------------------------------------------- http

interface Answer {
  status: number;
  location: string | null;
  cookies: Map<string, string>;
  body: string;
}

/** One request to 127.0.0.1 with the URL's own Host header (clinic subdomains without DNS), on a keep-alive socket. */
function send(
  agent: Agent,
  port: number,
  method: string,
  url: string,
  body: string | null,
  headers: Record<string, string>,
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, agent, method, path: target.pathname + target.search, headers: { host: target.host, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const cookies = new Map<string, string>();
          for (const line of res.headers["set-cookie"] ?? []) {
            const pair = line.split(";")[0] ?? "";
            const eq = pair.indexOf("=");
            if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          const location = typeof res.headers.location === "string" ? res.headers.location : null;
          resolve({ status: res.statusCode ?? 0, location, cookies, body: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    req.on("error", reject);
    if (body !== null) req.end(body);
    else req.end();
  });
}

// ------------------------------------------------------------------------------------------------ sign-ins

interface Started {
  member: number;
  requestId: string;
  binding: string;
  startMs: number;
  samlResponse?: string;
  acsMs?: number;
  ok?: boolean;
}

/** `count` sign-ins, `concurrency` at a time, in the three phases described at the top. */
async function runSignIns(site: Site, concurrency: number, count: number): Promise<Omit<EndToEndFigures, "dialect" | "concurrency">> {
  const loginUrl = `${site.sp.loginUrl}?returnTo=%2Fdashboard`;
  const cpuBefore = process.cpuUsage();
  if (concurrency === 32 && process.env.PROF) await startProfile();
  const startsBegan = performance.now();
  const started = await inParallel(count, concurrency, async (i): Promise<Started> => {
    const began = performance.now();
    const res = await send(site.agent, site.port, "GET", loginUrl, null, {});
    const startMs = performance.now() - began;
    const binding = res.cookies.get("sso-binding");
    const location = res.location;
    if (res.status !== 302 || location === null || binding === undefined) throw new Error(`start answered ${res.status}`);
    const request = new URL(location).searchParams.get("SAMLRequest") ?? "";
    const xml = inflateRawSync(Buffer.from(request, "base64")).toString("utf8");
    const requestId = /\bID="([^"]+)"/.exec(xml)?.[1];
    if (requestId === undefined) throw new Error("the AuthnRequest has no ID");
    return { member: i % MEMBERS, requestId, binding, startMs };
  });
  const startsMs = performance.now() - startsBegan;
  if (concurrency === 32 && process.env.PROF) await stopProfile(process.env.PROF + "-start");
  const startsCpu = process.cpuUsage(cpuBefore);

  // Untimed: the IdP's work. Issued now, so every response is well inside its five-minute validity when posted.
  for (const s of started) {
    s.samlResponse = await site.idp.buildResponse({
      spEntityId: site.sp.entityId,
      acsUrl: site.sp.acsUrl,
      email: memberEmail(s.member),
      inResponseTo: s.requestId,
      signing: "both",
      attributes: { email: memberEmail(s.member), firstName: "Bench", lastName: `Member ${s.member}` },
      now: new Date(),
    });
  }

  if (concurrency === 32 && process.env.PROF) await startProfile();
  const pgBefore = postgresTicks();
  const acsCpuBefore = process.cpuUsage();
  const acsBegan = performance.now();
  await inParallel(count, concurrency, async (i) => {
    const s = started[i]!;
    const began = performance.now();
    const res = await send(
      site.agent,
      site.port,
      "POST",
      site.sp.acsUrl,
      new URLSearchParams({ SAMLResponse: s.samlResponse! }).toString(),
      {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `sso-binding=${s.binding}`,
      },
    );
    s.acsMs = performance.now() - began;
    // Signed in: sent on to the page asked for, with a session cookie.
    s.ok = res.status === 303 && res.location === "/dashboard" && res.cookies.has(sessionCookieName(site.config));
  });
  const acsMs = performance.now() - acsBegan;
  if (concurrency === 32) console.log(`  postgres CPU during ACS phase: ${((postgresTicks() - pgBefore) * 10 / count).toFixed(2)} ms/sign-in; node ACS CPU ${((process.cpuUsage(acsCpuBefore).user + process.cpuUsage(acsCpuBefore).system)/1000/count).toFixed(2)} ms/sign-in; ACS wall ${(acsMs/count).toFixed(2)} ms/sign-in`);
  if (concurrency === 32 && process.env.PROF) await stopProfile(process.env.PROF + "-acs");
  const acsCpu = process.cpuUsage(acsCpuBefore);
  const cpuMicros = startsCpu.user + startsCpu.system + acsCpu.user + acsCpu.system;

  const latencies = started.map((s) => s.startMs + (s.acsMs ?? 0)).sort((a, b) => a - b);
  return {
    signIns: count,
    failures: started.filter((s) => !s.ok).length,
    perSecond: (count * 1000) / (startsMs + acsMs),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerSignIn: cpuMicros / 1000 / count,
  };
}

/** Runs task(0..count-1) with at most `concurrency` in flight; results in index order. */
async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
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
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
var inspectorSession: Session | undefined;
async function startProfile() { if (!inspectorSession) { inspectorSession = new Session(); inspectorSession.connect(); } await inspectorSession!.post("Profiler.enable"); await inspectorSession!.post("Profiler.setSamplingInterval", { interval: 200 }); await inspectorSession!.post("Profiler.start"); }
async function stopProfile(name: string) { const { profile } = await inspectorSession!.post("Profiler.stop"); writeFileSync(`/tmp/prof/${name}.cpuprofile`, JSON.stringify(profile)); }

import { readdirSync, readFileSync } from "node:fs";
function postgresTicks(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(postgres)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return total;
}
