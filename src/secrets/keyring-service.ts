import type { AuditLog } from "../audit/audit-log.js";
import type { Caller } from "../auth/principal.js";
import type { Keyring } from "../crypto/keyring.js";
import type { KekStore } from "../store/kek-store.js";
import { authorize } from "./authorize.js";
import { outcomeOf } from "./errors.js";

export interface KekVersionStatus {
  version: number;
  state: string;
  fingerprintPrefix: string;
  valueCount: number;
  loaded: boolean;
}

/** What operators see of the key-encryption keys: never a key, only versions, states and counts. */
export class KeyringService {
  constructor(
    private readonly keyring: Keyring,
    private readonly kekStore: KekStore,
    private readonly audit: AuditLog,
  ) {}

  async status(caller: Caller): Promise<{ activeVersion: number; versions: KekVersionStatus[] }> {
    try {
      authorize(caller, "GetKeyringStatus");
      const [rows, counts] = await Promise.all([this.kekStore.list(), this.kekStore.valueCounts()]);
      const loaded = new Set(this.keyring.versions());
      const result = {
        activeVersion: this.keyring.active().version,
        versions: rows.map((r) => ({
          version: r.version,
          state: r.state,
          fingerprintPrefix: r.fingerprint.slice(0, 12),
          valueCount: counts.get(r.version) ?? 0,
          loaded: loaded.has(r.version),
        })),
      };
      this.audit.enqueue(caller, { action: "GetKeyringStatus", outcome: "ok" });
      return result;
    } catch (err) {
      this.audit.enqueue(caller, { action: "GetKeyringStatus", outcome: outcomeOf(err) });
      throw err;
    }
  }
}
