import { join } from "node:path";
import type { Caller, Role } from "../../src/auth/principal.js";
import type { KekSource } from "../../src/secrets/keyring-loader.js";
import type { QuotaLimits } from "../../src/secrets/quotas.js";
import { type Services, openServices } from "../../src/services.js";
import { type Backend, type TestDatabase, createTestDatabase } from "./database.js";

export const caller = (subject: string, role: Role): Caller => ({ principal: { subject, roles: [role] }, requestId: `test-${subject}`, peer: "127.0.0.1" });

export const admin = caller("root", "admin");
export const alice = caller("alice", "user");
export const bob = caller("bob", "user");
export const scorer = caller("scorer-service", "service");

export interface TestServices extends Services {
  testDb: TestDatabase;
  /** Opens the same database again (e.g. with another KEK source); the caller closes it. */
  reopen(kek?: KekSource): Promise<Services>;
  dispose(): Promise<void>;
}

export async function openTestServices(backend?: Backend, options: { versionRetention?: number; quotas?: QuotaLimits } = {}): Promise<TestServices> {
  const testDb = await createTestDatabase(backend);
  const kek: KekSource = { kind: "keystore", dir: join(testDb.dataDir, "keystore") };
  const open = (k: KekSource = kek) => openServices({ databaseUrl: testDb.url, dataDir: testDb.dataDir, kek: k, versionRetention: options.versionRetention, quotas: options.quotas });
  const services = await open();
  return {
    ...services,
    testDb,
    reopen: open,
    dispose: async () => {
      await services.close();
      await testDb.drop();
    },
  };
}
