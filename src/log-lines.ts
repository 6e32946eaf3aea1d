import { Writable } from "node:stream";

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO ", 40: "WARN ", 50: "ERROR", 60: "FATAL" };
// Already shown by the line's own layout, or noise for a person reading a terminal.
const SHOWN = new Set(["level", "time", "pid", "hostname", "msg", "reqId", "method", "path", "host", "statusCode", "ms"]);

/** One pino JSON record as one human line: "22:03:01 INFO  [K3QX7M2BZA] GET demo.localhost/dashboard 200 12ms", then other fields. */
export function formatLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 19) : "--:--:--";
  const level = LEVELS[Number(record.level)] ?? "INFO ";
  const request =
    typeof record.method === "string"
      ? `${record.method} ${String(record.host ?? "")}${String(record.path ?? "")} ${String(record.statusCode ?? "")} ${String(record.ms ?? "")}ms`
      : String(record.msg ?? "");
  const extra = Object.entries(record)
    .filter(([key, value]) => !SHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  // The request's id, as its error page shows it: support finds the line from what the person reads out.
  const id = typeof record.reqId === "string" ? `[${record.reqId}]` : null;
  return [time, level, ...(id ? [id] : []), request, ...extra].join(" ").trimEnd();
}

/** A stream for pino that writes each record as one readable line (development); production keeps JSON. */
export function humanLogStream(out: NodeJS.WritableStream): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) out.write(`${formatLogLine(line)}\n`);
      done();
    },
  });
}
