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
  /**
   * The SQL of every statement the clients ran (a simple query, or a Bind of
   * a prepared one), in the order they sent them. Recorded only with
   * `coalesceMs`; `clear` forgets those so far.
   */
  statements(): string[];
  clearStatements(): void;
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
  let statements: string[] = [];
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
    const read = statementReader((sql) => statements.push(sql));
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
        const burst = Buffer.concat(held);
        read(burst);
        upstream.write(burst);
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
  return {
    port,
    roundTrips: () => roundTrips,
    statements: () => [...statements],
    clearStatements: () => (statements = []),
    cut: stop,
    restore: () => listen(port),
    close: stop,
  };
}

/**
 * Reads the frontend messages of one PostgreSQL connection: each is a type
 * byte and a length (the first, the startup message, only a length), and a
 * statement is a simple Query ('Q') or a Bind ('B') of a statement Parsed
 * ('P') before on the same connection, by name.
 */
function statementReader(onStatement: (sql: string) => void): (bytes: Buffer) => void {
  const parsed = new Map<string, string>();
  let pending = Buffer.alloc(0);
  let started = false;
  const cstrings = (body: Buffer, n: number) => {
    const out: string[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const end = body.indexOf(0, at);
      out.push(body.toString("utf8", at, end));
      at = end + 1;
    }
    return out;
  };
  return (bytes) => {
    pending = Buffer.concat([pending, bytes]);
    for (;;) {
      if (!started) {
        if (pending.length < 4) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        pending = pending.subarray(length);
        started = true;
        continue;
      }
      if (pending.length < 5) return;
      const type = String.fromCharCode(pending[0]!);
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const body = pending.subarray(5, 1 + length);
      pending = pending.subarray(1 + length);
      if (type === "Q") onStatement(cstrings(body, 1)[0]!);
      else if (type === "P") {
        const [name, sql] = cstrings(body, 2);
        parsed.set(name!, sql!);
      } else if (type === "B") onStatement(parsed.get(cstrings(body, 2)[1]!) ?? "?");
    }
  };
}
