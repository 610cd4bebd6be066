import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type ConnectError, type ContextValues } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Authenticator } from "../auth/authenticator.js";
import { AuthenticationError } from "../auth/errors.js";
import type { Principal } from "../auth/principal.js";
import { OPEN_SERVICES, exemptFromPrincipalLimits, isWrite } from "../auth/policy.js";
import { callInfoKey, principalKey } from "../rpc/context.js";
import { toConnectError } from "../rpc/errors.js";
import { ServiceError } from "../secrets/errors.js";
import { RateLimiter, type RateLimiterOptions } from "../secrets/rate-limiter.js";

export interface AdmissionOptions {
  authenticator: Authenticator;
  /** Calls this process serves at once, health and reflection aside; the excess is shed. */
  maxInFlight: number;
  /** How many of those one principal may hold (admins aside), so that a flood by one leaves room for the others. */
  maxInFlightPerPrincipal: number;
  /** Every RPC, per principal (admins aside). */
  callRate: Omit<RateLimiterOptions, "now">;
  /** RPCs that change stored state (`write` in RPC_POLICY), per principal (admins aside), on top of callRate. */
  writeRate: Omit<RateLimiterOptions, "now">;
  log: Logger;
}

/** A call refused, with the error to answer. */
export interface Refusal {
  admitted: false;
  error: ConnectError;
  /** Shed because the process is at its limit, not for anything this caller did (REST answers 503 rather than 429). */
  overloaded: boolean;
}

/**
 * What admission needs to know of a call: its RPC (a DescMethod), or for a
 * route of the port that is not one (GET /metrics) a name in the same form.
 */
export type AdmittedMethod = Pick<DescMethod, "name"> & { parent: Pick<DescMethod["parent"], "typeName"> };

/** A call let in, to be released once its work is over; or refused. */
export type Admitted = { admitted: true; release(): void } | Refusal;

export interface Admission {
  /**
   * Decides on a call from its method and authorization header alone, before
   * a byte of its body is read: what the token cache knows (a missing, bad or
   * cached token), then the process-wide in-flight cap (no database or crypto
   * work for a call that is shed), then the rest of authentication (calls
   * whose token needs a database lookup hold one principal's share of the
   * slots at most, and calls waiting for lookups half the slots; the
   * principal is set in `values`), then the principal's
   * share of the in-flight calls and its rates. Never rejects.
   */
  admit(method: AdmittedMethod, authorization: string | undefined, values: ContextValues): Promise<Admitted>;
}

/** Retry-after of a shed call: in-flight slots free up within milliseconds, so soon is right. */
const SHED_RETRY_AFTER_SECONDS = 1;
/** Distinct refusal errors kept for reuse (their wordings name principals). */
const BUILT_REFUSALS_KEPT = 1_000;
/** Refusals are summed up in one log line per interval: a line per refused call would let a flood fill the log. */
const REPORT_INTERVAL_MS = 10_000;

type Reason = "shed" | "token lookups" | "principal in flight" | "rate" | "write rate" | "unauthenticated" | "authentication failed";

const ADMITTED_FREELY: Admitted = { admitted: true, release: () => {} };

/**
 * Runs fn with stack traces off: capturing a stack is the dearest part of
 * making an error, and refusals are answered by their message alone.
 */
function stackless<T>(fn: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The one gate every protocol path (gRPC fast path, connect-node, REST gateway) puts a call through before reading its body. */
export function createAdmission(options: AdmissionOptions): Admission {
  const { authenticator, maxInFlight, maxInFlightPerPrincipal, log } = options;
  const calls = new RateLimiter(options.callRate);
  const writes = new RateLimiter(options.writeRate);
  const byPrincipal = new Map<string, number>();
  let inFlight = 0;
  // Tokens being looked up (one query each), and the calls waiting for those lookups (their starters and joiners).
  let lookingUp = 0;
  let waitingForLookups = 0;
  const maxWaitingForLookups = Math.max(1, Math.floor(maxInFlight / 2));

  const refusals = new Map<Reason, number>();
  const refuse = (reason: Reason, error: ConnectError, method: AdmittedMethod, values: ContextValues, overloaded = false): Admitted => {
    if (refusals.size === 0) setTimeout(report, REPORT_INTERVAL_MS).unref();
    refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
    if (log.isLevelEnabled("debug")) {
      const info = values.get(callInfoKey);
      log.debug({ rpc: `${method.parent.typeName}/${method.name}`, reason, code: Code[error.code], requestId: info.requestId, peer: info.peer }, "call refused");
    }
    return { admitted: false, error, overloaded };
  };
  const report = () => {
    // Refused credentials alone are everyday noise; shedding and rate limiting mean the service is under pressure.
    const pressed = [...refusals.keys()].some((r) => r !== "unauthenticated");
    log[pressed ? "warn" : "info"]({ refused: Object.fromEntries(refusals), intervalMs: REPORT_INTERVAL_MS, inFlight, maxInFlight }, "calls refused at admission");
    refusals.clear();
  };
  // Under a flood the same few refusals are made by the thousand: each is built once, by its wording, and carries nothing of the call it answers.
  const built = new Map<string, ConnectError>();
  const once = (wording: string, make: () => ConnectError) => {
    let error = built.get(wording);
    if (!error) {
      if (built.size >= BUILT_REFUSALS_KEPT) built.clear();
      error = stackless(make);
      built.set(wording, error);
    }
    return error;
  };
  const exhausted = (message: string, retryAfterSeconds: number) => {
    const wording = `${message}; retry in ${retryAfterSeconds} s`;
    return once(`exhausted: ${wording}`, () => toConnectError(new ServiceError("RESOURCE_EXHAUSTED", wording, false, retryAfterSeconds), log));
  };
  const refuseAuthentication = (err: unknown, method: AdmittedMethod, values: ContextValues) => {
    // Anything but a refused credential (the database unreachable, say) is mapped, and logged, call by call.
    const error = err instanceof AuthenticationError ? once(`unauthenticated: ${err.message}`, () => toConnectError(err, log)) : stackless(() => toConnectError(err, log));
    return refuse(error.code === Code.Unauthenticated ? "unauthenticated" : "authentication failed", error, method, values);
  };
  const shed = exhausted(`the server is at its limit of ${maxInFlight} calls in flight`, SHED_RETRY_AFTER_SECONDS);
  const lookups = exhausted(`token lookups under way are at their limit of ${maxInFlightPerPrincipal}`, SHED_RETRY_AFTER_SECONDS);
  const waiters = exhausted(`${maxWaitingForLookups} calls are already waiting for their tokens to be looked up`, SHED_RETRY_AFTER_SECONDS);

  return {
    async admit(method, authorization, values) {
      if (OPEN_SERVICES.has(method.parent.typeName)) return ADMITTED_FREELY;
      // What the token cache knows is decided at once, taking no slot: a flood of bad tokens is refused for what it is.
      let known: ReturnType<Authenticator["cached"]>;
      try {
        known = stackless(() => authenticator.cached(authorization ?? null));
      } catch (err) {
        return refuseAuthentication(err, method, values);
      }
      if (inFlight >= maxInFlight) return refuse("shed", shed, method, values, true);
      // Tokens only the database can tell share one principal's part of the slots in lookups, and the calls waiting for
      // lookups (the one that starts each and those that join it) hold half the slots at most: a flood of unknown tokens,
      // or of one token the cache does not know yet, cannot take them all while the queries run, and a burst of fresh
      // tokens (jobs starting together) still finds room.
      const queries = known === "query";
      const waits = queries || known instanceof Promise;
      if (queries && lookingUp >= maxInFlightPerPrincipal) return refuse("token lookups", lookups, method, values, true);
      if (waits && waitingForLookups >= maxWaitingForLookups) return refuse("token lookups", waiters, method, values, true);
      // The slot is held from here: authentication may still ask the database or check a signature.
      inFlight++;
      let subject: string | undefined;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        inFlight--;
        if (subject === undefined) return;
        const left = byPrincipal.get(subject)! - 1;
        if (left === 0) byPrincipal.delete(subject);
        else byPrincipal.set(subject, left);
      };
      let principal: Principal;
      if (typeof known === "object" && !(known instanceof Promise)) principal = known;
      else {
        if (queries) lookingUp++;
        if (waits) waitingForLookups++;
        try {
          principal = await (typeof known === "string" ? authenticator.authenticate(authorization ?? null) : known);
        } catch (err) {
          release();
          return refuseAuthentication(err, method, values);
        } finally {
          if (queries) lookingUp--;
          if (waits) waitingForLookups--;
        }
      }
      values.set(principalKey, principal);
      if (exemptFromPrincipalLimits(principal)) return { admitted: true, release };
      const held = byPrincipal.get(principal.subject) ?? 0;
      if (held >= maxInFlightPerPrincipal) {
        release();
        return refuse("principal in flight", exhausted(`${principal.subject} already has ${held} calls in flight`, SHED_RETRY_AFTER_SECONDS), method, values);
      }
      // The stricter bucket first, so that a refused write does not also spend a call.
      const write = isWrite(method.name) ? writes.take(principal.subject) : { ok: true as const };
      const call = write.ok ? calls.take(principal.subject) : write;
      if (!call.ok) {
        release();
        const what = write.ok ? "calls" : "writes";
        return refuse(write.ok ? "rate" : "write rate", exhausted(`too many ${what} by ${principal.subject}`, call.retryAfterSeconds), method, values);
      }
      subject = principal.subject;
      byPrincipal.set(subject, held + 1);
      return { admitted: true, release };
    },
  };
}
