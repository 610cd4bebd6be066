import { userInfo } from "node:os";
import { v7 as uuidv7 } from "uuid";
import { type AuditEntry, AuditLog } from "../audit/audit-log.js";
import type { Caller } from "../auth/principal.js";
import { AuditStore } from "../store/audit-store.js";
import type { Database } from "../store/database.js";

/**
 * Operations secretsctl does on the database directly (tokens, KEKs) leave
 * the same audit events as the API's, under a principal that names the
 * operating-system user who ran them: `secretsctl:<user>`.
 */
export async function auditLocal(database: Database, entry: Omit<AuditEntry, "outcome">): Promise<void> {
  const audit = new AuditLog({ store: new AuditStore(), db: database.db });
  try {
    await audit.writeNow(localCaller(), [{ ...entry, outcome: "ok" }]);
  } finally {
    await audit.close();
  }
}

function localCaller(): Caller {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid-${process.getuid?.() ?? "unknown"}`;
  }
  return { principal: { subject: `secretsctl:${user}`, roles: ["admin"] }, requestId: uuidv7(), peer: "local" };
}
