import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Authenticator } from "../auth/authenticator.js";
import { AuthenticationError } from "../auth/errors.js";
import { hasRole } from "../auth/principal.js";
import type { StatementCounts } from "../store/statement-counter.js";

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export interface MetricsOptions {
  authenticator: Authenticator;
  counts: () => StatementCounts;
}

/**
 * `GET /metrics`: this process's counters in Prometheus' text format, for
 * an admin's bearer token only (scrapers send one), as Vault does by
 * default: what a process sends its database says how busy its callers are.
 * Not audited: a scraper would fill the log. Returns false for any other request.
 */
export function createMetrics(options: MetricsOptions): (req: Req, res: Res) => boolean {
  return (req, res) => {
    if ((req.url ?? "/").split("?", 1)[0] !== "/metrics") return false;
    if (req.method !== "GET") {
      reply(res, 405, "method not allowed\n", { allow: "GET" });
      return true;
    }
    options.authenticator.authenticate(req.headers.authorization ?? null).then(
      (principal) => {
        if (!hasRole(principal, "admin")) return reply(res, 403, "metrics are for admins\n");
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
      },
      (err) => {
        if (err instanceof AuthenticationError) reply(res, 401, `${err.message}\n`, { "www-authenticate": "Bearer" });
        else reply(res, 503, "credentials could not be checked; retry shortly\n");
      },
    );
    return true;
  };
}

function reply(res: Res, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(body);
}
