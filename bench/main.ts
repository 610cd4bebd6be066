// npm run bench: the real server as its own process, a realistic data set,
// closed-loop load per scenario and concurrency, side by side with the
// ceilings of this stack measured in the same run. Prints one table and
// writes the same figures as JSON to bench/results/.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { GatewayService, LinkageType } from "../gen/secrets/v1/gateway_pb.js";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { TokenService } from "../gen/secrets/v1/tokens_pb.js";
import { randomKey } from "../src/crypto/aead.js";
import { EnvelopeCipher } from "../src/crypto/envelope.js";
import { derivePassphraseKey } from "../src/crypto/kek-sources.js";
import { Keyring } from "../src/crypto/keyring.js";
import { startArgs } from "../test/support/process.js";
import { type Unary, connectJsonUnary, grpcChannels, grpcUnary } from "./clients.js";
import { cpuMeter } from "./cpu.js";
import { type LoadResult, runLoad } from "./load.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const RESOURCES = SECRETS / 10;
const TOKEN = `sst_${randomBytes(32).toString("base64url")}`;
const VALUE = "sk-bench-0123456789abcdefghijklmnopqrstuvwxyz";
/** Longer than the audit log's flush interval (200 ms), so that a cell's buffered audit rows are counted in it. */
const AUDIT_FLUSH_MS = 300;
/** Client connections per target: several, as several client processes would open. */
const CHANNELS = 4;
/** Only scenarios whose name matches (ceilings always run). */
const ONLY = new RegExp(process.env.BENCH_ONLY ?? ".");
/** Only databases whose name matches: "pglite", "postgres". */
const DATABASES = new RegExp(process.env.BENCH_DATABASES ?? ".");
/** BENCH_TWO_WORKERS=0 skips the last pass with SECRETS_WORKERS=2. */
const TWO_WORKERS = process.env.BENCH_TWO_WORKERS !== "0";
/** Only protocols whose name matches: "gRPC h2", "Connect JSON h1". */
const PROTOCOLS = new RegExp(process.env.BENCH_PROTOCOLS ?? ".");

interface Row extends LoadResult {
  /** SQL statements the server sent per call, read from its /metrics around the load (undefined where not the server's). */
  sqlPerCall?: number;
  database: string;
  scenario: string;
  protocol: string;
  concurrency: number;
  ceiling: string;
  ratio: number;
}

async function main() {
  // The server runs as `npm start` runs it: built, not through the TypeScript loader. BENCH_NO_BUILD=1: the caller has just built it.
  if (process.env.BENCH_NO_BUILD !== "1") execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "inherit" });
  const crypto = cryptoCosts();
  const kekDerivationMs = await timed(() => derivePassphraseKey("bench passphrase, long enough", 1, randomBytes(16)));
  log(`crypto: seal ${crypto.sealUs.toFixed(1)} µs, open ${crypto.openUs.toFixed(1)} µs per value; KEK derivation ${kekDerivationMs.toFixed(0)} ms once`);
  const peer = await startPeer();
  const rows: Row[] = [];
  const databases: DatabaseRun[] = [];
  try {
    // The embedded default always; PostgreSQL too when BENCH_DATABASE_URL names one.
    const kinds = (process.env.BENCH_DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const)).filter((k) => DATABASES.test(k));
    for (const kind of kinds) {
      const run = await benchOn(kind, peer);
      rows.push(...run.rows);
      databases.push(run.summary);
    }
  } finally {
    peer.child.kill();
  }
  report(rows, { crypto, kekDerivationMs, databases, seconds: SECONDS });
}

interface DatabaseRun {
  database: string;
  firstStartMs: number;
  startupMs: number;
  startupInProcessMs: number;
  peakRssMb: number;
}

/** Seeds a fresh database of the kind, restarts the server on it, and drives every scenario at every concurrency. */
async function benchOn(kind: "pglite" | "postgres", peerServer: { child: ChildProcess; port: number }): Promise<{ rows: Row[]; summary: DatabaseRun }> {
  const results: Row[] = [];
  const children: ChildProcess[] = [];
  const dataDir = await mkdtemp(join(tmpdir(), "secrets-bench-"));
  const db = kind === "postgres" ? await benchDatabase(process.env.BENCH_DATABASE_URL!) : undefined;
  const database = db ? "PostgreSQL" : "PGlite";
  const env = {
    PATH: process.env.PATH ?? "",
    SECRETS_ADDR: "127.0.0.1:0",
    SECRETS_DATA_DIR: dataDir,
    SECRETS_BOOTSTRAP_TOKEN: TOKEN,
    SECRETS_LOG_LEVEL: "warn",
    SECRETS_RESOLVE_RATE: "1000000",
    SECRETS_RESOLVE_BURST: "1000000",
    // The user's writes are measured, not its per-principal rate limits.
    SECRETS_CALL_RATE: "1000000",
    SECRETS_CALL_BURST: "1000000",
    SECRETS_WRITE_RATE: "1000000",
    SECRETS_WRITE_BURST: "1000000",
    ...(db && { DATABASE_URL: db.url }),
    ...(process.env.SECRETS_WORKERS && { SECRETS_WORKERS: process.env.SECRETS_WORKERS }),
  };
  try {
    let server = await startService(env);
    children.push(server.child);
    const firstStartMs = server.startMs;
    log(`${database}: first start (new data): ${firstStartMs} ms; seeding ${SECRETS} secrets on ${RESOURCES} resources…`);
    const seeded = await seed(server.port);
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s (${Math.round(SECRETS / (seeded.ms / 1000))} creates/s, concurrency 32)`);
    await stopService(server);
    server = await startService(env);
    children.push(server.child);
    const startupMs = server.startMs;
    const startupInProcessMs = server.inProcessMs;
    log(`start-up on the existing data: ${startupMs} ms from spawn, ${startupInProcessMs} ms in the server (database, migrations, keyring, listen)`);

    const { ids, userTokens } = seeded;
    const grpc = grpcUnary(grpcChannels(server.port, CHANNELS));
    const peer = grpcUnary(grpcChannels(peerServer.port, CHANNELS))(Health.method.check);
    // Warm-up, not measured: every path is compiled by the JIT before the first cell counts.
    for (const unary of [grpc, connectJsonUnary(server.port, 16)]) {
      for (const [name, call] of workload(unary, ids, userTokens)) if (ONLY.test(name) || name.startsWith("ceiling")) await runLoad(call, { concurrency: 16, seconds: 0, warmupSeconds: 0.3 });
    }
    for (const concurrency of CONCURRENCY) {
      const row = (scenario: string, protocol: string, r: LoadResult, ceiling: Row | undefined): Row => ({
        database, scenario, protocol, concurrency, ...r, ceiling: ceiling?.scenario ?? "", ratio: ceiling ? r.rps / ceiling.rps : 1,
      });
      const measure = async (scenario: string, protocol: string, call: (i: number) => Promise<unknown>, pid: number, ceiling?: Row) => {
        const counted = pid === server.child.pid && !scenario.startsWith("db ceiling");
        const before = counted ? await statementsSent(server.port) : 0;
        const r = await load(call, concurrency, pid);
        const out = row(scenario, protocol, r, ceiling);
        if (counted) out.sqlPerCall = ((await statementsSent(server.port, AUDIT_FLUSH_MS)) - before) / r.calls;
        results.push(out);
        progress(out);
        return out;
      };
      // gRPC over h2 (what services use), then Connect JSON over HTTP/1.1 keep-alive (what browsers and scripts use).
      for (const [protocol, unary] of [["gRPC h2", grpc], ["Connect JSON h1", connectJsonUnary(server.port, concurrency)]] as const) {
        if (!PROTOCOLS.test(protocol)) continue;
        const [[name, call], ...rest] = workload(unary, ids, userTokens);
        const ceiling = await measure(name, protocol, call, server.child.pid!);
        if (protocol === "gRPC h2") await measure("peer ceiling: plain grpc-js", protocol, () => peer({}), peerServer.child.pid!);
        for (const [scenario, work] of rest) if (ONLY.test(scenario)) await measure(scenario, protocol, work, server.child.pid!, ceiling);
      }
      if (db) {
        const pg = (await import("postgres")).default(db.url, { max: Math.min(concurrency, 10) });
        await measure("db ceiling: PK select (postgres.js)", "PostgreSQL", (i) => pg`select secret_id, secret_name from secrets where secret_id = ${ids[i % ids.length]!}`, server.child.pid!);
        await pg.end();
      }
    }
    const peakRssMb = await peakRss(server.child.pid!);
    await stopService(server);
    if (db && TWO_WORKERS) {
      // Both cores: the same scenarios with SECRETS_WORKERS=2, beside the 1-worker figures above.
      const c = Math.max(...CONCURRENCY);
      const two = await startService({ ...env, SECRETS_WORKERS: "2" });
      children.push(two.child);
      for (const [scenario, call] of workload(grpcUnary(grpcChannels(two.port, CHANNELS)), ids, userTokens)) {
        const one = results.find((r) => r.scenario === scenario && r.protocol === "gRPC h2" && r.concurrency === c);
        if (!one || !/^(ceiling|GetSecret|ResolveResource|GetResourceEndpointConfigs)/.test(scenario)) continue;
        const r = await load(call, c, two.child.pid!);
        const out: Row = { database, scenario, protocol: "gRPC h2, 2 workers", concurrency: c, ...r, ceiling: `${scenario}, 1 worker`, ratio: r.rps / one.rps };
        results.push(out);
        progress(out);
      }
      await stopService(two);
    }
    return { rows: results, summary: { database, firstStartMs, startupMs, startupInProcessMs, peakRssMb } };
  } finally {
    // Whatever happened, no server is left running.
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
    await db?.drop();
  }
}

/**
 * The scenarios over one protocol, each a function of the call number; the
 * first is the ceiling. The admin token calls all but the last (admins may
 * resolve, and are held to no quota); users' tokens, with the default quotas
 * checked on every write, the last (four users, each within its limit of
 * calls in flight).
 */
type Scenario = [name: string, call: (i: number) => Promise<unknown>];

function workload(unary: Unary, ids: string[], userTokens: string[]): [ceiling: Scenario, ...scenarios: Scenario[]] {
  const m = SecretsService.method;
  const health = unary(Health.method.check);
  const get = unary(m.getSecret, TOKEN);
  const list = unary(m.listSecrets, TOKEN);
  const resolve = unary(m.resolveResourceSecrets, TOKEN);
  const endpointConfigs = unary(GatewayService.method.getResourceEndpointConfigs, TOKEN);
  const update = unary(m.updateSecret, TOKEN);
  const createAndBind = unary(m.createAndBindSecret, TOKEN);
  const createAndBindAsUsers = userTokens.map((token) => unary(m.createAndBindSecret, token));
  const run = randomBytes(3).toString("hex");
  let k = 0;
  return [
    ["ceiling: Health/Check", () => health({})],
    ["GetSecret", (i) => get({ secretId: ids[i % ids.length]! })],
    ["ListSecrets (1)", () => list({ pageSize: 1 })],
    ["ListSecrets (100)", () => list({ pageSize: 100 })],
    ["ResolveResourceSecrets (10)", (i) => resolve({ resourceType: "BENCH_JOB", resourceId: `job-${i % RESOURCES}` })],
    ["GetResourceEndpointConfigs (2×3)", () => endpointConfigs({ resourceType: "GATEWAY_JOB", resourceId: "bench" })],
    ["UpdateSecret (new version)", (i) => update({ secretId: ids[(i * 7919) % ids.length]!, secretValue: `${VALUE}-${i}` })],
    [
      "CreateAndBindSecret",
      () => {
        const n = `load-${run}-${k++}`;
        return createAndBind({ secretName: n, secretValue: VALUE, fieldName: "KEY", resourceType: "LOAD_JOB", resourceId: n });
      },
    ],
    [
      "CreateAndBindSecret (a user: quotas)",
      (i) => {
        const n = `user-${run}-${k++}`;
        return createAndBindAsUsers[i % createAndBindAsUsers.length]!({ secretName: n, secretValue: VALUE, fieldName: "KEY", resourceType: "USER_JOB", resourceId: n });
      },
    ],
  ];
}

function cryptoCosts() {
  const keyring = new Keyring([{ version: 1, key: randomKey() }], 1);
  const cipher = new EnvelopeCipher(keyring);
  const payload = Buffer.from(JSON.stringify({ value: VALUE }));
  const address = { secretId: "01a20000-0000-7000-8000-000000000000", secretName: "bench", version: 1 };
  const n = 20_000;
  let sealed = cipher.seal(address, payload);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sealed = cipher.seal(address, payload);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) cipher.open(address, sealed);
  const t2 = performance.now();
  return { sealUs: ((t1 - t0) * 1000) / n, openUs: ((t2 - t1) * 1000) / n };
}

/** Closed-loop load for SECONDS, with the CPU of the server (`pid` and its workers), this process and PostgreSQL counted. */
function load(call: (i: number) => Promise<unknown>, concurrency: number, pid: number): Promise<LoadResult> {
  return runLoad(call, { concurrency, seconds: SECONDS, meter: () => cpuMeter(pid) });
}

async function seed(port: number): Promise<{ ids: string[]; userTokens: string[]; ms: number }> {
  const channels = grpcChannels(port, CHANNELS);
  const create = grpcUnary(channels)(SecretsService.method.createAndBindSecret, TOKEN);
  const ids: string[] = new Array(SECRETS);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < SECRETS; i = next++) {
        const res = (await create({
          secretName: `bench-${i}`,
          secretValue: `${VALUE}-${i}`,
          fieldName: `KEY_${Math.floor(i / RESOURCES)}`,
          resourceType: "BENCH_JOB",
          resourceId: `job-${i % RESOURCES}`,
          isShared: true,
          provider: "openai",
        })) as { secret: { secretId: string } };
        ids[i] = res.secret.secretId;
      }
    }),
  );
  await seedGateway(grpcUnary(channels), ids);
  const mint = grpcUnary(channels)(TokenService.method.createApiToken, TOKEN);
  const userTokens = await Promise.all([0, 1, 2, 3].map(async (u) => ((await mint({ name: `bench-user-${u}`, roles: ["user"] })) as { token: string }).token));
  for (const c of channels) c.close();
  return { ids, userTokens, ms: performance.now() - started };
}

/** A resource bound to 2 endpoints of 3 models each (2 primaries, 1 fallback), each model on its own secret: 6 values per resolve. */
async function seedGateway(unary: Unary, ids: string[]): Promise<void> {
  const g = GatewayService.method;
  const defineModel = unary(g.createModelDefinition, TOKEN);
  const createEndpoint = unary(g.createEndpoint, TOKEN);
  const bind = unary(g.createEndpointBinding, TOKEN);
  for (const e of [0, 1]) {
    const models: string[] = [];
    for (const m of [0, 1, 2]) {
      const res = (await defineModel({ name: `bench-model-${e}-${m}`, secretId: ids[e * 3 + m]!, provider: "openai", modelName: `gpt-bench-${m}` })) as { modelDefinition: { modelDefinitionId: string } };
      models.push(res.modelDefinition.modelDefinitionId);
    }
    const endpoint = (await createEndpoint({
      name: `bench-endpoint-${e}`,
      modelConfigs: [
        { modelDefinitionId: models[0]!, linkageType: LinkageType.PRIMARY, weight: 2 },
        { modelDefinitionId: models[1]!, linkageType: LinkageType.PRIMARY, weight: 1 },
        { modelDefinitionId: models[2]!, linkageType: LinkageType.FALLBACK, fallbackOrder: 0 },
      ],
    })) as { endpoint: { endpointId: string } };
    await bind({ endpointId: endpoint.endpoint.endpointId, resourceType: "GATEWAY_JOB", resourceId: "bench" });
  }
}

interface Service {
  child: ChildProcess;
  port: number;
  /** From spawning the process to its listening line (includes starting Node and loading the modules). */
  startMs: number;
  /** What the server itself measured: configuration read to listening. */
  inProcessMs: number;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const started = performance.now();
  // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the server under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...startArgs()], { cwd: ROOT, env: { ...env, SECRETS_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "inherit"] });
  let inProcessMs = NaN;
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c) => {
      out += c;
      const m = /"msg":"secrets service listening"/.test(out) && /"port":(\d+)/.exec(out);
      if (m) {
        inProcessMs = Number(/"startupMs":(\d+)/.exec(out)?.[1]);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`service exited with ${code}: ${out}`)));
  });
  return { child, port, startMs: Math.round(performance.now() - started), inProcessMs };
}

async function stopService(s: Service): Promise<void> {
  const exited = new Promise((resolve) => s.child.once("exit", resolve));
  s.child.kill("SIGTERM");
  await exited;
}

async function startPeer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/peer-server.ts"], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout!.once("data", (c) => resolve(JSON.parse(String(c)).port)));
  return { child, port };
}

async function benchDatabase(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const postgres = (await import("postgres")).default;
  const name = `secrets_bench_${randomBytes(4).toString("hex")}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database ${name}`);
  await sql.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const s = postgres(admin, { max: 1, onnotice: () => {} });
      await s.unsafe(`drop database if exists ${name} with (force)`);
      await s.end();
    },
  };
}

/** The server's count of statements sent to its database, from /metrics, after waiting `afterMs`; NaN from a server without it (an older commit, measured side by side). */
async function statementsSent(port: number, afterMs = 0): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const m = /^secrets_db_statements_total (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : NaN;
}

async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function progress(r: Row) {
  log(`  ${r.database.padEnd(10)} c=${String(r.concurrency).padEnd(3)} ${r.protocol.padEnd(16)} ${r.scenario.padEnd(36)} ${Math.round(r.rps).toString().padStart(6)} req/s`);
}

/** What one more row of a ListSecrets page costs the server: the 100-row page against the 1-row page, per extra row. */
function perRowCosts(rows: Row[]): string[] {
  const out: string[] = [];
  for (const one of rows.filter((r) => r.scenario === "ListSecrets (1)" && r.cpuUsPerCall)) {
    const hundred = rows.find((r) => r.scenario === "ListSecrets (100)" && r.database === one.database && r.protocol === one.protocol && r.concurrency === one.concurrency);
    if (!hundred?.cpuUsPerCall) continue;
    const us = (hundred.cpuUsPerCall.server - one.cpuUsPerCall!.server) / 99;
    out.push(`${one.database}, ${one.protocol}, c=${one.concurrency}: ListSecrets costs the server ${us.toFixed(1)} µs per row`);
  }
  return out;
}

function report(rows: Row[], extra: Record<string, unknown>) {
  const header = ["database", "scenario", "protocol", "c", "req/s", "p50 ms", "p99 ms", "errors", "vs ceiling", "SQL/call", "CPU µs/call: server", "client", "postgres"];
  const us = (n: number | undefined) => (n === undefined ? "—" : Math.round(n).toString());
  const lines = rows.map((r) => [
    r.database,
    r.scenario,
    r.protocol,
    String(r.concurrency),
    Math.round(r.rps).toString(),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.errors),
    r.ceiling ? `${(r.ratio * 100).toFixed(0)} %` : "—",
    r.sqlPerCall === undefined || Number.isNaN(r.sqlPerCall) ? "—" : r.sqlPerCall.toFixed(2),
    us(r.cpuUsPerCall?.server),
    us(r.cpuUsPerCall?.client),
    us(r.cpuUsPerCall?.postgres),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const crypto = extra.crypto as { sealUs: number; openUs: number };
  process.stdout.write(
    [
      "",
      fmt(header),
      fmt(widths.map((w) => "-".repeat(w))),
      ...lines.map(fmt),
      "",
      `crypto per value: seal ${crypto.sealUs.toFixed(1)} µs, open ${crypto.openUs.toFixed(1)} µs; KEK derivation (PBKDF2 600k, once per process) ${(extra.kekDerivationMs as number).toFixed(0)} ms`,
      ...(extra.databases as DatabaseRun[]).map(
        (d) => `${d.database}: start-up ${d.firstStartMs} ms on new data; on existing data ${d.startupMs} ms from spawn (${d.startupInProcessMs} ms inside the server); server peak RSS ${d.peakRssMb} MiB`,
      ),
      ...perRowCosts(rows),
      `${extra.seconds} s per cell`,
      "",
    ].join("\n"),
  );
  void saveJson({ ...extra, rows });
}

async function saveJson(data: unknown) {
  const dir = process.env.BENCH_RESULTS_DIR ?? join(ROOT, "bench", "results");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  process.stdout.write(`figures written to ${file}\n`);
}

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

await main();
