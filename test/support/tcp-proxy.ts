import net from "node:net";

/** A TCP proxy a test can cut and restore, to make a real network outage between the service and its database. */
export interface TcpProxy {
  port: number;
  /**
   * Round trips so far, over all connections: each time a client sent
   * something after the server had answered (or first), which is each time
   * the client waited for the server. Counted only with `coalesceMs`.
   */
  roundTrips(): number;
  /** Drops every connection and refuses new ones. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Hold what a client sends until it has been quiet this long, and pass it
   * on in one piece. A driver may write statements it sends without waiting
   * in several pieces (postgres.js writes 1 KiB or more at once, the rest a
   * turn of the event loop later), and the server could answer between them;
   * held together, they arrive, and count, as the one round trip they are.
   */
  coalesceMs?: number;
}

export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let roundTrips = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    if (options.coalesceMs === undefined) {
      client.pipe(upstream).pipe(client);
      return;
    }
    upstream.pipe(client);
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let answered = true;
    upstream.on("data", () => {
      answered = true;
    });
    client.on("data", (chunk: Buffer) => {
      held.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (answered) roundTrips++;
        answered = false;
        upstream.write(Buffer.concat(held));
        held = [];
      }, options.coalesceMs);
    });
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return { port, roundTrips: () => roundTrips, cut: stop, restore: () => listen(port), close: stop };
}
