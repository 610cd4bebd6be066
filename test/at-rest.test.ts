import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends, sqlRows } from "./support/database.js";
import { type TestServices, admin, alice, openTestServices } from "./support/services.js";

const VALUES = ["sk-ant-at-rest-0123456789abcdef", "AKIAATRESTEXAMPLE000", "wJalrXUtnFEMI/at-rest/bPxRfiCYEXAMPLEKEY", "short-val"];

describe.each(backends())("nothing readable at rest on %s", (backend) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(backend);
    await s.secrets.createSecret(
      admin,
      { secretName: "rest-1", secretValue: VALUES[0], secretFields: {}, fieldName: "ANTHROPIC_API_KEY", authConfig: { region: "eu" }, isShared: true, requestId: "r-1" },
      { resourceType: "GLOBAL", resourceId: "g", fieldName: "ANTHROPIC_API_KEY" },
    );
    const { secret } = await s.secrets.createSecret(alice, { secretName: "rest-2", secretFields: { AWS_ACCESS_KEY_ID: VALUES[1]!, AWS_SECRET_ACCESS_KEY: VALUES[2]! }, fieldName: "AWS", authConfig: {}, isShared: false, requestId: "" });
    await s.secrets.updateSecret(alice, { secretId: secret.id, secretValue: VALUES[3], secretFields: {}, authConfig: {}, clearAuthConfig: false });
    await s.apiTokens.issue({ name: "t", role: "user", createdBy: "test" });
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it("a dump of every table contains no value, in clear, hex or base64", async () => {
    const exec = (q: ReturnType<typeof sql>) => sqlRows<Record<string, string>>(s.database.db, q);
    const tables = await exec(sql`select table_schema, table_name from information_schema.tables where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE'`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["secrets", "secret_versions", "secret_bindings", "kek_versions", "idempotency_keys", "api_tokens"]));
    let dump = "";
    for (const { table_schema, table_name } of tables) {
      const rows = await exec(sql.raw(`select t::text as row from "${table_schema}"."${table_name}" t`));
      dump += rows.map((r) => r.row).join("\n");
    }
    expect(dump).toContain("sk-...cdef");
    const haystack = dump.toLowerCase();
    for (const value of VALUES) {
      const forms = [value, Buffer.from(value).toString("hex"), Buffer.from(value).toString("base64").slice(0, 16), JSON.stringify({ value }).slice(1, -1)];
      for (const form of forms) expect(haystack).not.toContain(form.toLowerCase());
    }
  });

  it("the keystore key never reaches the database, only its fingerprint", async () => {
    const key = s.keyring.active().key;
    const rows = await s.kekStore.list();
    expect(JSON.stringify(rows)).not.toContain(key.toString("hex"));
    expect(JSON.stringify(rows)).not.toContain(key.toString("base64"));
  });
});
