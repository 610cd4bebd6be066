import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU time (user + system, in µs) spent by the processes of one role during a
 * load: the server with its workers, the bench process itself (the load
 * generator), and the local PostgreSQL's backends. On a 2-core machine the
 * three share the cores, so a scenario's rate is bounded by their sum per call;
 * these figures say which of them to make cheaper.
 */
export interface CpuSplit {
  server: number;
  client: number;
  postgres: number;
}

const TICK_US = 10_000; // USER_HZ is 100 on Linux (getconf CLK_TCK)

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  cpuUs: number;
}

function stat(pid: number | string): Stat | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // exited between listing and reading
  }
  // comm is in parentheses and may hold spaces; the fields after it are fixed.
  const close = raw.lastIndexOf(")");
  const comm = raw.slice(raw.indexOf("(") + 1, close);
  const f = raw.slice(close + 2).split(" ");
  return { pid: Number(pid), comm, ppid: Number(f[1]), cpuUs: (Number(f[11]) + Number(f[12])) * TICK_US };
}

function all(): Stat[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(stat)
    .filter((s): s is Stat => s !== undefined);
}

function sample(serverPid: number): CpuSplit {
  const procs = all();
  const tree = new Set([serverPid]);
  // Workers are children of the primary; a pass in pid order catches them (they are started after it).
  for (const p of procs.sort((a, b) => a.pid - b.pid)) if (tree.has(p.ppid)) tree.add(p.pid);
  let server = 0;
  let postgres = 0;
  for (const p of procs) {
    if (tree.has(p.pid)) server += p.cpuUs;
    else if (p.comm === "postgres") postgres += p.cpuUs;
  }
  const own = process.cpuUsage();
  return { server, client: own.user + own.system, postgres };
}

/** Starts counting; the returned function gives the CPU each role spent since. */
export function cpuMeter(serverPid: number): () => CpuSplit {
  const before = sample(serverPid);
  return () => {
    const after = sample(serverPid);
    return { server: after.server - before.server, client: after.client - before.client, postgres: after.postgres - before.postgres };
  };
}
