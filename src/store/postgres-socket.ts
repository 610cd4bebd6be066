import net from "node:net";

/** What postgres.js hands a socket factory: its parsed options, of which a socket needs these. */
export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A socket for postgres.js with Nagle's algorithm off, as libpq, pgjdbc and
 * node-postgres open theirs. postgres.js leaves it on, so a small write that
 * follows an unacknowledged one (a COMMIT sent behind a write of 1 KiB or
 * more, which postgres.js sends at once) waits in the kernel for the
 * server's ACK, which comes with the server's answer: a round trip the
 * service never asked for (and over a network, a write whose last segment
 * is short can wait for a delayed ACK, ~40 ms).
 *
 * postgres.js treats a socket it is given as connected: it writes at once
 * (the socket queues that until it is), and its connect timeout,
 * keep-alive, TLS upgrade and reconnects work on it as on its own. For one
 * host only: with several, postgres.js's own sockets keep its failover.
 */
export function noDelaySocket(target: SocketTarget): net.Socket {
  if (target.path) return net.connect(target.path);
  const [host, port] = [target.host[0]!, target.port[0]!];
  const socket = net.connect({ host, port, noDelay: true });
  // Read by postgres.js's TLS upgrade for the server name, as on a socket it made.
  return Object.assign(socket, { host, port });
}
