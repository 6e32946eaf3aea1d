import { buildApp } from "./app.js";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { DatabaseUnreachableError, describeDatabase, openDatabase } from "./db/open.js";
import { migrateToLatest } from "./db/migrate.js";
import { createDemoIdp, ensureDemoIdpKey, type DemoIdp } from "./demo/demo-idp.js";
import { connectClinicToDemoIdp } from "./demo/demo-idp-sign-in.js";
import { seedDemo } from "./demo/seed-demo.js";
import { findSamlConnection } from "./sso/saml/connection.queries.js";
import type { Db } from "./db/open.js";
import { clinicOrigin, mainOrigin } from "./hosts.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const { db } = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const demoIdp = config.demo ? createDemoIdp(config, await ensureDemoIdpKey(db)) : null;
  const app = await buildApp({ config, db, demoIdp });
  const demo = config.demo ? await seedDemo(db, new Date()) : null;
  if (demo && demoIdp) await connectDemoClinic(db, demo.clinic.id, demoIdp);
  await app.listen({ host: config.host, port: config.port });
  printBanner(config, demo);

  const stop = async () => {
    await app.close();
    await db.destroy();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/**
 * Points the demo clinic at the demo IdP, unless someone connected it to a real IdP. A first connection starts
 * with just-in-time provisioning on, so a newcomer's first SSO sign-in shows it at once; later starts keep
 * whatever the admin chose.
 */
async function connectDemoClinic(db: Db, clinicId: string, demoIdp: DemoIdp): Promise<void> {
  const existing = await findSamlConnection(db, clinicId);
  if (!existing) await connectClinicToDemoIdp(db, clinicId, demoIdp, { jitProvisioning: true });
  else if (existing.source === "demo-idp") await connectClinicToDemoIdp(db, clinicId, demoIdp);
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
