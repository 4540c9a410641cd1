// A TCP proxy in front of a test's Postgres server, on 127.0.0.1, that can lose one answer: armed
// with `dropNextCommitReply()`, it cuts the next connection whose server sends CommandComplete
// "COMMIT" — after the server committed, before the client hears it. What a network drop at the
// worst moment does, on demand.

import net from "node:net";

/** CommandComplete ('C'), its length (4 + "COMMIT\0"), the tag. */
const COMMIT_COMPLETE = Buffer.concat([Buffer.from("C"), Buffer.from([0, 0, 0, 11]), Buffer.from("COMMIT\0")]);

export interface PgProxy {
  /** The server's URL with the proxy's port instead. */
  url: string;
  /** The next COMMIT's answer is never delivered: its connection is cut instead. */
  dropNextCommitReply(): void;
  /** Answers lost so far. */
  dropped(): number;
  close(): Promise<void>;
}

export async function pgProxy(serverUrl: string): Promise<PgProxy> {
  const target = new URL(serverUrl);
  let armed = false;
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", cut).on("close", () => sockets.delete(client) && cut());
    upstream.on("error", cut).on("close", () => sockets.delete(upstream) && cut());
    client.on("data", (d: Buffer) => upstream.write(d));
    upstream.on("data", (d: Buffer) => {
      if (armed && d.includes(COMMIT_COMPLETE)) {
        armed = false;
        dropped++;
        cut();
        return;
      }
      client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(serverUrl);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    dropNextCommitReply: () => void (armed = true),
    dropped: () => dropped,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
