import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";

export interface SiteAlias {
  /** http://127.0.0.1:PORT: another site than *.localhost for a browser, so requests between them are cross-site. */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves the app's main site under a second name, http://127.0.0.1:PORT, by forwarding every request on 127.0.0.1
 * with the main site's Host header. A browser then sees the demo IdP on another site than the clinics, as a real
 * IdP is (the Host header is the only thing rewritten; cookies stay with the name the browser used).
 */
export async function startSiteAlias(appPort: number, mainHost: string): Promise<SiteAlias> {
  const server = createServer((incoming, outgoing) => {
    const forwarded = httpRequest(
      { host: "127.0.0.1", port: appPort, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: mainHost } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
