import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP relay in front of a server (PostgreSQL here) that can make the connections open through it go silent:
 * what either side sends is dropped, nothing is closed. To the app it looks like a database host that vanished
 * (a failover, a network partition); connections opened afterwards are relayed as usual, as to the new primary.
 */
export interface StallingProxy {
  port: number;
  /** Every connection open now stops carrying data, both ways, for good. */
  stallOpenConnections(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(target: { host: string; port: number }): Promise<StallingProxy> {
  const open = new Set<{ client: Socket; upstream: Socket; stalled: boolean }>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream, stalled: false };
    open.add(pair);
    client.on("data", (chunk) => void (pair.stalled || upstream.write(chunk)));
    upstream.on("data", (chunk) => void (pair.stalled || client.write(chunk)));
    // Either side closing closes both, so a connection the app gives up on ends its server session too.
    const end = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no port");
  return {
    port: address.port,
    stallOpenConnections: () => {
      for (const pair of open) pair.stalled = true;
    },
    close: async () => {
      for (const { client, upstream } of open) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
