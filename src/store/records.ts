/** What leaves the store: metadata and, for resolves, plaintext. Never ciphertext or key material. */

export type SecretState = "ACTIVE" | "REVOKED";

export interface SecretRecord {
  id: string;
  name: string;
  fieldName: string;
  isShared: boolean;
  state: SecretState;
  provider: string | null;
  model: string | null;
  authConfig: Record<string, string>;
  maskedValue: string;
  maskedFields: Record<string, string>;
  version: number;
  revision: number;
  bindingCount: number;
  createdBy: string;
  createdAt: Date;
  lastUpdatedBy: string;
  lastUpdatedAt: Date;
}

/** One stored value version, as metadata. */
export interface VersionRecord {
  version: number;
  createdBy: string;
  createdAt: Date;
  kekVersion: number;
}

export interface BindingRecord {
  id: string;
  secretId: string;
  resourceType: string;
  resourceId: string;
  fieldName: string;
  createdBy: string;
  createdAt: Date;
}

/** A binding of a resource with its secret's current value, decrypted. */
export interface ResolvedRecord {
  fieldName: string;
  secretId: string;
  secretName: string;
  state: SecretState;
  provider: string | null;
  model: string | null;
  authConfig: Record<string, string>;
  version: number;
  /** The plaintext payload (JSON); empty for revoked secrets, which are never decrypted. */
  payload: Buffer;
}

/** A secret's current value version, opened; payload undefined when revoked or undecryptable. */
export interface CurrentValue {
  secretId: string;
  secretName: string;
  state: SecretState;
  authConfig: Record<string, string>;
  version: number;
  payload: Buffer | undefined;
  undecryptable?: true;
}

export interface IdempotencyRecord {
  requestMac: string;
  kekVersion: number;
  secretId: string;
  bindingId: string | null;
}

export interface KekVersionRecord {
  version: number;
  fingerprint: string;
  source: "keystore" | "passphrase";
  salt: Buffer | null;
  state: "active" | "inactive" | "retired";
  createdAt: Date;
  activatedAt: Date | null;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: "admin" | "user" | "service";
  description: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface AuditRecord {
  id: string;
  at: Date;
  principal: string;
  action: string;
  secretId: string | null;
  secretVersion: number | null;
  resourceType: string | null;
  resourceId: string | null;
  subject: string | null;
  outcome: string;
  requestId: string;
  peer: string;
}

export interface ResourceGrantRecord {
  principal: string;
  grantedBy: string;
  grantedAt: Date;
}

/** A resource's owner and grants; owner undefined while nobody has bound to it. */
export interface ResourceAccessRecord {
  resourceType: string;
  resourceId: string;
  owner: string | undefined;
  grants: ResourceGrantRecord[];
  createdAt: Date | undefined;
  lastUpdatedBy: string;
  lastUpdatedAt: Date | undefined;
}
