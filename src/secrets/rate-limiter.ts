export interface RateLimiterOptions {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** Bucket size: how many calls may come at once after a quiet period. */
  burst: number;
  now?: () => number;
}

/** Buckets idle this long are full again and can be forgotten. */
const IDLE_FORGET_MS = 10 * 60_000;

/**
 * A token bucket per key (principal). Per process: with N replicas the
 * effective limit is N times the configured one, which is the price of not
 * putting a database write on every resolve.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Takes one token; when none is left, says how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const { ratePerSecond, burst } = this.options;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
    b.at = now;
    if (this.buckets.size > 10_000) this.forgetIdle(now);
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond)) };
  }

  private forgetIdle(now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > IDLE_FORGET_MS) this.buckets.delete(k);
  }
}
