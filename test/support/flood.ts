import { spawn } from "node:child_process";
import http2 from "node:http2";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

export interface FloodOptions {
  baseUrl: string;
  /** The RPC, e.g. /secrets.v1.SecretsService/ListSecrets. */
  path: string;
  /** Sent with every call (authorization, say). */
  headers: Record<string, string>;
  /** The request message, protobuf-encoded. */
  message: Uint8Array;
  connections: number;
  /** Calls kept in flight on each connection. */
  streams: number;
  /** Issues at most this many calls, */
  total: number;
  /** and none after this much time. */
  maxMs: number;
}

export interface FloodResult {
  /** Answered calls by their grpc-status ("0", "8", …); anything that ended without one by what happened ("stream error: …"). */
  outcomes: Record<string, number>;
  calls: number;
  ms: number;
}

/** One length-prefixed gRPC message. */
export function grpcFrame(payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/**
 * Unary gRPC calls over raw HTTP/2, closed loop: every connection keeps
 * `streams` calls in flight, each answered call is replaced by the next,
 * until `total` are answered or `maxMs` passes. Loopback only, bounded in
 * count and time.
 */
export async function grpcFlood(options: FloodOptions): Promise<FloodResult> {
  const outcomes: Record<string, number> = {};
  const count = (outcome: string) => (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
  const body = grpcFrame(options.message);
  const started = performance.now();
  const end = started + options.maxMs;
  let issued = 0;
  let answered = 0;
  const more = () => issued < options.total && performance.now() < end;

  const connection = async () => {
    const session = http2.connect(options.baseUrl);
    session.on("error", () => {});
    // Only once the server's SETTINGS are in does the client know how many streams it may open.
    await new Promise<void>((resolve, reject) => {
      session.once("remoteSettings", () => resolve());
      session.once("close", () => reject(new Error("the connection closed before its settings arrived")));
    });
    const call = () =>
      new Promise<void>((resolve) => {
        issued++;
        let status: string | undefined;
        let retryAfter = false;
        let failure: string | undefined;
        const req = session.request({ ":method": "POST", ":path": options.path, "content-type": "application/grpc", te: "trailers", ...options.headers });
        const read = (h: http2.IncomingHttpHeaders) => {
          status = (h["grpc-status"] as string | undefined) ?? status;
          retryAfter ||= h["retry-after"] !== undefined;
        };
        req.on("response", read);
        req.on("trailers", read);
        req.on("error", (err: NodeJS.ErrnoException) => (failure = `stream error: ${err.code ?? err.message}`));
        req.on("close", () => {
          answered++;
          if (failure) count(failure);
          else if (status === undefined) count(`closed without grpc-status (rst ${req.rstCode})`);
          // RESOURCE_EXHAUSTED without retry-after would leave the client guessing when to come back.
          else count(status === "8" && !retryAfter ? "8 without retry-after" : status);
          resolve();
        });
        req.resume();
        req.end(body);
      });
    const lane = async () => {
      while (more() && !session.closed && !session.destroyed) await call();
    };
    await Promise.all(Array.from({ length: options.streams }, lane));
    session.close();
  };
  await Promise.all(Array.from({ length: options.connections }, connection));
  return { outcomes, calls: answered, ms: performance.now() - started };
}

/**
 * The flood from a process of its own, as an attacker's would be: its event
 * loop, busy with thousands of answers, must not delay what the test itself
 * measures meanwhile. `started` resolves once the process has begun sending.
 */
export function floodFromProcess(options: FloodOptions): { started: Promise<void>; done: Promise<FloodResult> } {
  const child = spawn(process.execPath, ["--import", "tsx", SELF], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
  child.stdin.end(JSON.stringify({ ...options, message: Buffer.from(options.message).toString("base64") }));
  let out = "";
  let began!: () => void;
  const started = new Promise<void>((resolve) => (began = resolve));
  child.stdout.on("data", (c) => {
    out += c;
    if (out.startsWith(STARTED)) began();
  });
  const done = new Promise<FloodResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.slice(STARTED.length)) as FloodResult) : reject(new Error(`the flood process exited with ${code}`))));
  });
  return { started, done };
}

const STARTED = "started\n";

if (process.argv[1] === SELF) {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const options = JSON.parse(input) as FloodOptions & { message: string };
  process.stdout.write(STARTED);
  const result = await grpcFlood({ ...options, message: Buffer.from(options.message, "base64") });
  process.stdout.write(JSON.stringify(result));
}
