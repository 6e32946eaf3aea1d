import { SMTPServer } from "smtp-server";
import { freePort } from "./harness.js";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** A mail server on 127.0.0.1 that accepts every message and keeps it, for tests of email delivery. */
export interface SmtpSink {
  url: string;
  received: ReceivedMail[];
  /** Resolves once at least `count` messages have arrived. */
  waitFor(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const waiting: Array<{ count: number; resolve: (mail: ReceivedMail[]) => void }> = [];
  const server = new SMTPServer({
    // A local sink: no login, no TLS (nothing leaves 127.0.0.1).
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        for (const w of waiting.filter((w) => received.length >= w.count)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve([...received]);
        }
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    waitFor: (count) =>
      received.length >= count ? Promise.resolve([...received]) : new Promise((resolve) => waiting.push({ count, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
