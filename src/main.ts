import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { DatabaseUnreachableError, describeDatabase, openDatabase } from "./db/open.js";
import { migrateBeforeServing } from "./db/migrate.js";
import { createDemoIdp, ensureDemoIdpKey, type DemoIdp } from "./demo/demo-idp.js";
import { connectClinicToDemoIdp } from "./demo/demo-idp-sign-in.js";
import { seedDemo } from "./demo/seed-demo.js";
import { findSamlConnection } from "./sso/saml/connection.queries.js";
import type { Db } from "./db/open.js";
import { clinicOrigin, mainOrigin } from "./hosts.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const { db } = await openDatabase(config.databaseUrl, { statementTimeoutMs: config.databaseStatementTimeoutMs });
  await migrateBeforeServing(db, config.databaseUrl);
  const demoIdp = config.demo ? createDemoIdp(config, await ensureDemoIdpKey(db, new Date())) : null;
  const app = await buildApp({ config, db, demoIdp });
  const demo = config.demo ? await seedDemo(db, new Date()) : null;
  if (demo && demoIdp) await connectDemoClinic(db, demo.clinic.id, demoIdp);
  await app.listen({ host: config.host, port: config.port });
  printBanner(config, demo);

  // Metadata URLs are re-fetched and certificate expiry checked once a day, and a minute after start.
  const upkeep = () => void app.runSsoUpkeep().catch((error: unknown) => app.log.warn(`SSO checks failed: ${String(error)}`));
  const firstCheck = setTimeout(upkeep, 60_000);
  const dailyChecks = setInterval(upkeep, 24 * 60 * 60 * 1000);
  // What sign-ins leave behind is deleted every ten minutes, off the sign-in path.
  const prune = () => void app.pruneSignInRecords().catch((error: unknown) => app.log.warn(`Clean-up failed: ${String(error)}`));
  const pruning = setInterval(prune, PRUNE_INTERVAL_MS);
  // Stops accepting connections, lets requests in flight finish (Fastify answers 503 to any new request on a
  // kept-alive connection), closes the database, and exits 0: a rolling deploy loses no sign-in half-way.
  const stop = async (signal: NodeJS.Signals) => {
    clearTimeout(firstCheck);
    clearInterval(dailyChecks);
    clearInterval(pruning);
    app.log.info(`${signal}: finishing the requests in flight, then stopping`);
    // A client that never finishes its request must not hold the stop forever: its connection is cut.
    const cutStragglers = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    try {
      await app.close();
      await db.destroy();
    } catch (error) {
      process.stderr.write(`Could not stop cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    }
    clearTimeout(cutStragglers);
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const PRUNE_INTERVAL_MS = 10 * 60_000;

// Under the 30 seconds most orchestrators wait after SIGTERM before they kill.
const SHUTDOWN_GRACE_MS = 25_000;

/**
 * Points the demo clinic at the demo IdP, unless someone connected it to a real IdP. A first connection starts
 * with just-in-time provisioning on, so a newcomer's first SSO sign-in shows it at once; later starts keep
 * whatever the admin chose.
 */
async function connectDemoClinic(db: Db, clinicId: string, demoIdp: DemoIdp): Promise<void> {
  const existing = await findSamlConnection(db, clinicId);
  if (!existing) await connectClinicToDemoIdp(db, clinicId, demoIdp, new Date(), { jitProvisioning: true });
  else if (existing.source === "demo-idp") await connectClinicToDemoIdp(db, clinicId, demoIdp, new Date());
}

function printBanner(config: Config, demo: Awaited<ReturnType<typeof seedDemo>> | null): void {
  // Short lines, notes on their own line: the frame must hold in an 80-column terminal.
  const lines = [`ClinicRooms is running at ${mainOrigin(config)}`, `Database:         ${describeDatabase(config.databaseUrl)}`];
  if (demo) {
    lines.push(
      "",
      `Demo clinic:      ${clinicOrigin(config, demo.clinic.subdomain)}/sign-in`,
      `Demo admin:       ${demo.adminEmail}`,
      `Admin password:   ${demo.adminPassword}   (reset at every start)`,
      `Demo IdP:         ${mainOrigin(config)}/demo-idp/apps`,
      `                  development only: try "Sign in with SSO"`,
    );
  }
  // Printed on the console for the person who started the demo, never written to the log.
  if (config.operatorTokenGenerated) {
    lines.push(`Operator token:   ${config.operatorToken}`, "                  generated for this run; set OPERATOR_TOKEN to keep one");
  }
  // Framed and printed after everything else at start, so the passwords and links are not lost among log lines.
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const rule = "═".repeat(width);
  const framed = lines.map((line) => `║  ${line.padEnd(width - 4)}  ║`);
  process.stdout.write(`\n╔${rule}╗\n${framed.join("\n")}\n╚${rule}╝\n\n`);
}

main().catch((error: unknown) => {
  // Expected start-up failures get one clear line, not a stack trace.
  if (error instanceof ConfigError || error instanceof DatabaseUnreachableError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
