import { execFile as execFileCallback, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./harness.js";

const execFile = promisify(execFileCallback);

/**
 * A PostgreSQL server of the test's own, in a temp directory on a free port, that the test may stop, start and
 * restart without touching the server every other test uses. Trust authentication, on 127.0.0.1 only.
 */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A fast restart, as an operator or a failover does: open connections are terminated (57P01). */
  restart(): Promise<void>;
  /** Stops the server at once and removes its files. */
  destroy(): Promise<void>;
}

interface Tools {
  bin: string;
  /** As root, the server runs as the `postgres` user (initdb and postgres refuse to run as root). */
  asUser: { uid: number; gid: number } | null;
}

/**
 * Why a test needing a cluster of its own is skipped here, or false when it can run. CI sets REQUIRE_PG_CLUSTER=1,
 * so there missing tools fail the run instead of skipping.
 */
export function postgresClusterSkipReason(): string | false {
  const found = findTools();
  if (typeof found !== "string") return false;
  if (process.env.REQUIRE_PG_CLUSTER === "1") throw new Error(`REQUIRE_PG_CLUSTER=1 but ${found}`);
  return found;
}

function findTools(): Tools | string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => join(root, v, "bin")).find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
  if (!bin) return "PostgreSQL server tools (initdb, pg_ctl under /usr/lib/postgresql/*/bin) are not installed";
  if (process.getuid?.() !== 0) return { bin, asUser: null };
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { bin, asUser: { uid, gid } };
  } catch {
    return "running as root, and there is no postgres user to run a PostgreSQL server as";
  }
}

/** Creates and starts a fresh cluster. */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const tools = findTools();
  if (typeof tools === "string") throw new Error(tools);
  const dir = mkdtempSync(join(tmpdir(), "pg-faults-"));
  if (tools.asUser) chownSync(dir, tools.asUser.uid, tools.asUser.gid);
  const data = join(dir, "data");
  const port = await freePort();
  // Async, never execFileSync: the app under test runs in this same process and must keep answering meanwhile.
  const run = (tool: string, args: string[]) =>
    execFile(join(tools.bin, tool), args, { cwd: dir, ...(tools.asUser ?? {}), env: { ...process.env, LC_ALL: "C" } });
  const serverOptions = [
    `-p ${port}`,
    // The socket lives in the cluster's own directory; TCP on loopback only.
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    // A test cluster: durability is not under test, and the machine is shared.
    "-c fsync=off",
    "-c max_connections=40",
    "-c shared_buffers=16MB",
  ].join(" ");
  const start = async () => {
    await run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", serverOptions, "-w", "start"]);
  };
  const stop = async () => {
    await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  };
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
