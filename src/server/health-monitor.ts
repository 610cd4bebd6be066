import { EventEmitter } from "node:events";

export interface HealthMonitorOptions {
  /** Resolves when the dependency answers. */
  probe: () => Promise<void>;
  /** Default 2 s. */
  intervalMs?: number;
  /** A probe slower than this counts as failed. Default 2 s. */
  timeoutMs?: number;
}

/**
 * Keeps the serving state from a background probe, so that health checks
 * answer from memory and cost nothing on the database.
 */
export class HealthMonitor extends EventEmitter<{ change: [boolean] }> {
  private healthy = true;
  private draining = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: HealthMonitorOptions) {
    super();
  }

  get serving(): boolean {
    return this.healthy && !this.draining;
  }

  /** The dependency answered the last probe. */
  get reachable(): boolean {
    return this.healthy;
  }

  get shuttingDown(): boolean {
    return this.draining;
  }

  start(): void {
    const tick = async () => {
      await this.check();
      this.timer = setTimeout(tick, this.options.intervalMs ?? 2_000).unref();
    };
    void tick();
  }

  /** Probes now; returns whether serving. */
  async check(): Promise<boolean> {
    let ok: boolean;
    try {
      await withTimeout(this.options.probe(), this.options.timeoutMs ?? 2_000);
      ok = true;
    } catch {
      ok = false;
    }
    this.set(ok);
    return this.serving;
  }

  /** Shutting down: report NOT_SERVING so that load balancers move away first. */
  drain(): void {
    const before = this.serving;
    this.draining = true;
    if (before) this.emit("change", false);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private set(ok: boolean): void {
    const before = this.serving;
    this.healthy = ok;
    if (before !== this.serving) this.emit("change", this.serving);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error("probe timed out")), ms).unref();
    }),
  ]);
}
