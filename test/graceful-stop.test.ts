import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import SqliteDatabase from "better-sqlite3";
import { freePort, OPERATOR_TOKEN } from "./support/harness.js";

/** Resolves with everything the socket has sent once it has sent what `until` looks for (or closed). */
function readUntil(socket: Socket, until: RegExp): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      if (until.test(received)) finish();
    };
    const finish = () => {
      socket.off("data", onData).off("close", finish);
      resolve(received);
    };
    socket.on("data", onData).on("close", finish);
  });
}

/** Whether a new TCP connection to the port is refused right now. */
function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, "127.0.0.1");
    probe.once("connect", () => {
      probe.destroy();
      resolve(false);
    });
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

test("SIGTERM: the request in flight finishes and its write lands, new connections are refused, the process exits 0", async () => {
  const dir = mkdtempSync(join(tmpdir(), "clinic-stop-"));
  const dbPath = join(dir, "app.db");
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: `sqlite:${dbPath}`,
      PORT: String(port),
      OPERATOR_TOKEN,
      DEMO: "0",
      LOG_LEVEL: "info",
    },
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let socket: Socket | undefined;
  try {
    while (!/ClinicRooms is running/.test(stdout)) await new Promise((resolve) => child.stdout.once("data", resolve));

    // A clinic created through the operator API, its body held back half-way: the request is in flight.
    const body = JSON.stringify({ subdomain: "late-clinic", name: "Late Clinic", seats: 3 });
    const held = connect(port, "127.0.0.1");
    socket = held;
    await new Promise((resolve) => held.once("connect", resolve));
    const continued = readUntil(held, /100 Continue\r\n\r\n/);
    held.write(
      [
        "POST /api/v1/clinics HTTP/1.1",
        `host: localhost:${port}`,
        `authorization: Bearer ${OPERATOR_TOKEN}`,
        "content-type: application/json",
        `content-length: ${Buffer.byteLength(body)}`,
        // The server's "100 Continue" proves it has the request in hand before the signal is sent.
        "expect: 100-continue",
        "",
        "",
      ].join("\r\n"),
    );
    await continued;
    held.write(body.slice(0, 10));

    child.kill("SIGTERM");
    while (!(await isRefused(port))) await new Promise((resolve) => setImmediate(resolve));

    const answered = readUntil(held, /\r\n\r\n\{.*\}$/s);
    held.write(body.slice(10));
    const response = await answered;
    assert.match(response, /^HTTP\/1\.1 201 Created/, response);
    assert.match(response, /"subdomain":"late-clinic"/);
    // The connection is closed after the answer, so a kept-alive client does not hold the stop open.
    assert.match(response, /\r\nconnection: close\r\n/i);

    assert.equal(await exited, 0, stdout);
    assert.match(stdout, /SIGTERM: finishing the requests in flight, then stopping/);
    // The write made by the request in flight reached the database before it was closed.
    const db = new SqliteDatabase(dbPath, { readonly: true });
    try {
      assert.deepEqual(db.prepare("select name from clinics where subdomain = ?").get("late-clinic"), { name: "Late Clinic" });
    } finally {
      db.close();
    }
  } finally {
    socket?.destroy();
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
