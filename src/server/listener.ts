import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "pino";
import { type StreamPacer, createStreamPacer } from "./stream-pacer.js";

type RequestHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface ListenerOptions {
  handler: RequestHandler;
  host: string;
  port: number;
  log: Logger;
  /** Default 10 s: how long a connection may stay silent before its first bytes. */
  firstByteTimeoutMs?: number;
  /** Default 15 s: how long an HTTP/1.1 client may take to send a request's headers. */
  headersTimeoutMs?: number;
  /** Default 256: connections open at once from one peer address; one more is closed as it is accepted. */
  maxConnectionsPerPeer?: number;
  /** TLS on the same port, HTTP/2 and HTTP/1.1 chosen by ALPN; with clientCa, client certificates are required. */
  tls?: { cert: Buffer; key: Buffer; clientCa: Buffer | undefined };
}

export interface Listener {
  /** The bound address; port is the real one when 0 was asked. */
  address: { host: string; port: number };
  /**
   * Stops accepting, lets in-flight calls finish (HTTP/2 GOAWAY, HTTP/1.1
   * closes idle keep-alive sockets), and after graceMs cuts what is left.
   */
  close(graceMs: number): Promise<void>;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * One cleartext port for HTTP/2 (gRPC, Connect over h2c) and HTTP/1.1
 * (Connect, gRPC-Web, REST). Node's http2 server with allowHTTP1 needs TLS
 * to tell the two apart (ALPN), so the connection is routed by its first
 * bytes instead: the HTTP/2 client preface, or anything else.
 */
export async function listen(options: ListenerOptions): Promise<Listener> {
  return options.tls ? listenTls(options, options.tls) : listenCleartext(options);
}

const H2_SETTINGS = { maxConcurrentStreams: 256, maxHeaderListSize: MAX_HEADER_BYTES };

async function listenCleartext(options: ListenerOptions): Promise<Listener> {
  const { handler, log } = options;
  const h1 = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, keepAliveTimeout: 65_000, ...http1Timeouts(options.headersTimeoutMs) }, handler);
  const h2 = http2.createServer(
    {
      maxSessionMemory: 16,
      maxHeaderListPairs: 128,
      settings: H2_SETTINGS,
    },
    handler,
  );
  const sessions = trackSessions(h2);
  // A listener here replaces Node's default answer, so it must answer and close the socket itself.
  h1.on("clientError", (err: NodeJS.ErrnoException, socket: net.Socket) => {
    log.debug({ err: err.code }, "bad HTTP/1.1 request");
    // A parse error carries bytesParsed, a request timeout does not; anything else (e.g. a reset) gets no answer.
    const answerable = (err as { bytesParsed?: number }).bytesParsed !== undefined || err.code === "ERR_HTTP_REQUEST_TIMEOUT";
    if (!socket.writable || !answerable) {
      socket.destroy();
      return;
    }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  const sockets = new Set<net.Socket>();
  const admitConnection = limitPerPeer(options);
  const tcp = net.createServer({ noDelay: true }, (socket) => {
    if (!admitConnection(socket)) return;
    track(sockets, socket);
    socket.on("error", () => socket.destroy());
    routeByPreface(socket, options.firstByteTimeoutMs ?? 10_000, (isH2) => (isH2 ? h2 : h1).emit("connection", socket));
  });
  const bound = await bind(tcp, options);
  // The HTTP/1.1 server is handed sockets and never listens itself, but Node starts tracking
  // its connections (header and request timeouts, closeIdleConnections) on "listening".
  h1.emit("listening");
  return gracefulListener(tcp, bound, sessions, sockets, () => {
    // An HTTP/1.1 response in flight finishes; its socket closes when idle.
    h1.on("request", (_req, res: http.ServerResponse) => res.setHeader("connection", "close"));
    const stop = closeIdleHttp1(h1);
    return () => {
      stop();
      // Stops the connection tracking; the server was never listening, so the callback's error is expected.
      h1.close(() => {});
    };
  });
}

/**
 * TLS: ALPN picks HTTP/2 or HTTP/1.1, so one Node server handles both. With a
 * client CA, the handshake itself refuses clients without a valid certificate.
 */
async function listenTls(options: ListenerOptions, tls: NonNullable<ListenerOptions["tls"]>): Promise<Listener> {
  const server = http2.createSecureServer(
    {
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      minVersion: "TLSv1.2",
      ...(tls.clientCa && { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
      maxSessionMemory: 16,
      maxHeaderListPairs: 128,
      settings: H2_SETTINGS,
    },
    options.handler,
  );
  // With allowHTTP1, Node serves HTTP/1.1 through this server with http.Server's timeouts and connection tracking.
  const h1 = server as unknown as Pick<http.Server, "headersTimeout" | "requestTimeout" | "closeIdleConnections"> & { connectionsCheckingInterval: number };
  Object.assign(h1, http1Timeouts(options.headersTimeoutMs));
  const sessions = trackSessions(server);
  const sockets = new Set<net.Socket>();
  // Before the TLS server's own listener: a connection over the limit is closed before any handshake work.
  const admitConnection = limitPerPeer(options);
  server.prependListener("connection", (socket: net.Socket) => void admitConnection(socket));
  server.on("secureConnection", (socket: net.Socket) => track(sockets, socket));
  server.on("tlsClientError", (err) => options.log.debug({ err: err.message }, "TLS handshake failed"));
  return gracefulListener(server, await bind(server, options), sessions, sockets, () => {
    server.on("request", (req, res) => {
      if (req.httpVersion !== "2.0") res.setHeader("connection", "close");
    });
    return closeIdleHttp1(h1);
  });
}

/**
 * Counts the open connections of each peer address and closes, at once, one
 * over the limit: one client cannot hold every socket and stream the process
 * can serve. Returns whether the connection may stay.
 */
function limitPerPeer(options: ListenerOptions): (socket: net.Socket) => boolean {
  const max = options.maxConnectionsPerPeer ?? 256;
  const open = new Map<string, number>();
  return (socket) => {
    const peer = socket.remoteAddress ?? "";
    const n = open.get(peer) ?? 0;
    if (n >= max) {
      options.log.debug({ peer, max }, "connection refused: too many from this peer");
      socket.destroy();
      return false;
    }
    open.set(peer, n + 1);
    socket.once("close", () => {
      const left = open.get(peer)! - 1;
      if (left === 0) open.delete(peer);
      else open.set(peer, left);
    });
    return true;
  };
}

/**
 * HTTP/1.1 limits: a client gets headersTimeout to send its headers (slow
 * clients are answered 408 and cut), and they are checked every second
 * rather than Node's default 30 s, which would let a slow client stay twice
 * as long.
 */
function http1Timeouts(headersTimeoutMs = 15_000) {
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: Math.max(60_000, headersTimeoutMs),
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
  };
}

/** While draining: idle HTTP/1.1 keep-alive sockets are closed now and as they become idle. */
function closeIdleHttp1(h1: Pick<http.Server, "closeIdleConnections">): () => void {
  h1.closeIdleConnections();
  const idle = setInterval(() => h1.closeIdleConnections(), 100);
  return () => clearInterval(idle);
}

type Sessions = Set<http2.ServerHttp2Session> & { draining?: boolean; pacer: StreamPacer };

function trackSessions(server: http2.Http2Server | http2.Http2SecureServer): Sessions {
  const sessions = Object.assign(new Set<http2.ServerHttp2Session>(), { pacer: createStreamPacer() }) as Sessions;
  server.on("session", (s: http2.ServerHttp2Session) => {
    track(sessions, s);
    sessions.pacer.add(s);
    // A connection accepted just before closing began becomes a session only now: it is told GOAWAY at once.
    if (sessions.draining) s.close();
  });
  return sessions;
}

function track<T extends { once(event: "close", fn: () => void): unknown }>(set: Set<T>, item: T): void {
  set.add(item);
  item.once("close", () => set.delete(item));
}

/**
 * Closing: stop accepting, send HTTP/2 GOAWAY (in-flight streams finish),
 * let HTTP/1.1 responses finish (drainHttp1), and after graceMs cut whatever
 * is left.
 */
function gracefulListener(
  server: net.Server,
  bound: net.AddressInfo,
  sessions: Sessions,
  sockets: Set<net.Socket>,
  drainHttp1: () => () => void,
): Listener {
  let closing: Promise<void> | undefined;
  return {
    address: { host: bound.address, port: bound.port },
    close(graceMs) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        sessions.draining = true;
        sessions.pacer.stop();
        for (const s of sessions) s.close();
        const stopDraining = drainHttp1();
        const deadline = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        await stopped;
        stopDraining();
        clearTimeout(deadline);
      })();
      return closing;
    },
  };
}

async function bind(server: net.Server, options: ListenerOptions): Promise<net.AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server.address() as net.AddressInfo;
}

/** Waits for enough bytes to tell an HTTP/2 preface from anything else, then hands the socket over untouched. */
function routeByPreface(socket: net.Socket, timeoutMs: number, route: (isH2: boolean) => void): void {
  let seen = Buffer.alloc(0);
  socket.setTimeout(timeoutMs, () => socket.destroy());
  const onData = (chunk: Buffer) => {
    seen = Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, H2_PREFACE.length);
    const matches = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (matches && n < H2_PREFACE.length) return;
    socket.off("data", onData);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    route(matches);
    // Node's HTTP/2 session takes the paused socket's buffered bytes itself; the HTTP/1.1 parser needs it flowing.
    if (!matches) socket.resume();
  };
  socket.on("data", onData);
}
