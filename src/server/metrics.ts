import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { Code, type ContextValues } from "@connectrpc/connect";
import { hasRole } from "../auth/principal.js";
import { principalKey } from "../rpc/context.js";
import type { StatementCounts } from "../store/statement-counter.js";
import type { Admission, AdmittedMethod, Refusal } from "./admission.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface MetricsOptions {
  /** The gate every RPC passes: credentials, the in-flight caps and the principal's rates hold here too. */
  admission: Admission;
  contextValues: (req: Req) => ContextValues;
  counts: () => StatementCounts;
}

/** Not an RPC: named for admission (its logs and limits) in an RPC's form. */
const METRICS: AdmittedMethod = { name: "GetMetrics", parent: { typeName: "secrets.ops.Metrics" } };

/**
 * `GET /metrics`: this process's counters in Prometheus' text format, for
 * an admin's bearer token only (scrapers send one), as Vault does by
 * default: what a process sends its database says how busy its callers are.
 * Admitted like any call, so that a flood of unknown tokens here costs what
 * it costs on an RPC; not audited: a scraper would fill the log. Returns
 * false for any other request.
 */
export function createMetrics(options: MetricsOptions): (req: Req, res: Res) => boolean {
  return (req, res) => {
    if ((req.url ?? "/").split("?", 1)[0] !== "/metrics") return false;
    if (req.method !== "GET") {
      reply(res, 405, "method not allowed\n", { allow: "GET" });
      return true;
    }
    const values = options.contextValues(req);
    void options.admission.admit(METRICS, req.headers.authorization, values).then((admitted) => {
      if (!admitted.admitted) return refused(res, admitted);
      try {
        if (!hasRole(values.get(principalKey)!, "admin")) return reply(res, 403, "metrics are for admins\n");
        const { statements, transactions } = options.counts();
        reply(
          res,
          200,
          [
            "# HELP secrets_db_statements_total Statements the store sent to the database from this process, BEGIN and COMMIT or ROLLBACK included (health probes aside).",
            "# TYPE secrets_db_statements_total counter",
            `secrets_db_statements_total ${statements}`,
            "# HELP secrets_db_transactions_total Transactions this process ran.",
            "# TYPE secrets_db_transactions_total counter",
            `secrets_db_transactions_total ${transactions}`,
            "",
          ].join("\n"),
        );
      } finally {
        admitted.release();
      }
    });
    return true;
  };
}

/** 401 for credentials, 503 when the process is at its limit, 429 for the principal's own limits. */
function refused(res: Res, refusal: Refusal): void {
  const status = refusal.error.code === Code.Unauthenticated ? 401 : refusal.overloaded ? 503 : refusal.error.code === Code.ResourceExhausted ? 429 : 503;
  const retryAfter = refusal.error.metadata.get("retry-after");
  reply(res, status, `${refusal.error.rawMessage}\n`, {
    ...(status === 401 && { "www-authenticate": "Bearer" }),
    ...(retryAfter && { "retry-after": retryAfter }),
  });
}

function reply(res: Res, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}
