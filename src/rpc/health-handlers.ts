import { type EventEmitter, on } from "node:events";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";

/** What the handlers read of the server's health (the server's HealthMonitor): whether it serves, and each change. */
export interface ServingState extends EventEmitter<{ change: [boolean] }> {
  readonly serving: boolean;
}

/**
 * grpc.health.v1: "" is the server as a whole; each mounted service by its
 * full name. All share the database's state.
 */
export function healthHandlers(monitor: ServingState, services: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...services]);
  const status = () => (monitor.serving ? Status.SERVING : Status.NOT_SERVING);
  return {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return { status: status() };
    },
    list() {
      const current = status();
      return { statuses: Object.fromEntries([...known].map((name) => [name, { status: current }])) };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        return;
      }
      yield { status: status() };
      try {
        for await (const [serving] of on(monitor, "change", { signal: ctx.signal })) {
          yield { status: serving ? Status.SERVING : Status.NOT_SERVING };
        }
      } catch (err) {
        if (!ctx.signal.aborted) throw err;
      }
    },
  };
}
