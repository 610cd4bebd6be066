import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { type TestDatabase, createTestDatabase } from "./support/database.js";
import { spawnService } from "./support/process.js";

const TOKEN = `sst_${"C".repeat(43)}`;
const headers = { authorization: `Bearer ${TOKEN}` };
const clientOn = (port: number) => createClient(SecretsService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));

// The embedded database is started with PGlite's relaxed per-query sync and a small buffer pool (src/store/pglite-options.ts):
// what the service has answered must still be there when the process dies without any chance to flush or shut down.
describe("the embedded default after a crash of the process", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("pglite");
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("keeps every acknowledged write through kill -9 and starts again on the same data", async () => {
    const env = { SECRETS_DATA_DIR: db.dataDir, SECRETS_BOOTSTRAP_TOKEN: TOKEN };
    const first = spawnService(env);
    const client = clientOn(await first.listening);
    const { secret } = await client.createAndBindSecret(
      { secretName: "crash-kept", secretValue: "sk-before-crash-000000", fieldName: "OPENAI_API_KEY", resourceType: "CRASH_JOB", resourceId: "job-1" },
      { headers },
    );
    // Commits after the one checked, so that it is not merely the last thing written before the kill.
    for (let i = 0; i < 20; i++) await client.createSecret({ secretName: `filler-${i}`, secretValue: `sk-filler-${i}-0000000000`, fieldName: "K" }, { headers });
    await client.updateSecret({ secretId: secret!.secretId, secretValue: "sk-after-update-000000" }, { headers });
    await client.createSecret({ secretName: "last", secretValue: "sk-last-before-kill-0000", fieldName: "K" }, { headers });
    first.child.kill("SIGKILL");
    await first.exited;

    const second = spawnService(env);
    const again = clientOn(await second.listening);
    const resolved = await again.resolveResourceSecrets({ resourceType: "CRASH_JOB", resourceId: "job-1" }, { headers });
    expect(resolved.secrets.map((s) => [s.secretName, s.value])).toEqual([["crash-kept", "sk-after-update-000000"]]);
    const list = await again.listSecrets({ pageSize: 100 }, { headers });
    expect(list.secrets).toHaveLength(22);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 90_000);
});
