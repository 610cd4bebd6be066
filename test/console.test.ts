/// <reference lib="dom" />
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleBrowser, axe, chromiumAvailable, contains, dialog, dismissNotifications, expectNotInDom, hiddenParts, nav, notified, poll, snap } from "./support/console-browser.js";
import { type TestServer, startTestServer } from "./support/server.js";

// Values typed into the console; none may ever come back to the page, its console or a URL.
const VALUES = {
  privateKey: "sk-proj-PRIVATEvalue-0123456789abcdef",
  sharedKey: "sk-ant-SHAREDvalue-0123456789abcdef",
  opsKey: "sk-proj-OPSvalue-0123456789abcdef",
  rotatedKey: "sk-ant-ROTATEDvalue-0123456789abcdef",
  staleKey: "sk-proj-STALEvalue-0123456789abcdef",
  awsId: "AKIAIOSFODNN7EXAMPLE",
  awsSecret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  bobKey: "sk-proj-BOBvalue-0123456789abcdef",
};
const HIDDEN_PARTS = hiddenParts(Object.values(VALUES));

describe.skipIf(!chromiumAvailable)("the web console at /ui/ in a real browser", () => {
  let t: TestServer;
  let browser: ConsoleBrowser;
  let admin: Page;
  const newPage = () => browser.newPage();
  const signIn = (page: Page, token: string) => browser.signIn(page, token);
  const expectNoValueInDom = (page: Page) => expectNotInDom(page, HIDDEN_PARTS);

  beforeAll(async () => {
    t = await startTestServer();
    browser = await ConsoleBrowser.launch(t);
    admin = await newPage();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("sends a browser from / to the sign-in page, and keeps the token out of storage, cookies and the URL", async () => {
    await admin.goto(`${t.baseUrl}/`);
    expect(new URL(admin.url()).pathname).toBe("/ui/");
    await admin.getByRole("heading", { name: "Sign in" }).waitFor();
    await axe(admin, "sign-in");
    await snap(admin, "sign-in");

    await admin.getByLabel("API token").fill("sst_not-a-real-token-000000000000000000000000");
    await admin.getByRole("button", { name: "Sign in" }).click();
    await admin.getByRole("alert").filter({ hasText: "UNAUTHENTICATED" }).waitFor();

    await signIn(admin, t.adminToken);
    const who = admin.getByLabel("Signed in as");
    await contains(who, "bootstrap-admin");
    await contains(who, "admin");
    const stored = await admin.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookies: document.cookie }));
    expect(stored).not.toContain(t.adminToken);
    expect(await admin.context().cookies()).toEqual([]);
    await admin.getByText("No secrets yet").waitFor();
    await snap(admin, "secrets-empty");
  });

  it("creates private (bound in the same step), shared and multi-field secrets, and never shows a value again", async () => {
    await admin.getByRole("button", { name: "Create secret" }).click();
    const create = dialog(admin, "Create secret");
    await poll(() => create.getByLabel("Provider").evaluate((el) => el === document.activeElement)).toBe(true);
    // The catalog's providers; the key name is the catalog's variable for the one chosen, the fields its auth mode's.
    await create.getByLabel("Provider", { exact: true }).selectOption("openai");
    await poll(() => create.getByLabel("Key name").inputValue()).toBe("OPENAI_API_KEY");
    await create.getByLabel("Model").fill("gpt-4o");
    await create.getByLabel("Secret name").fill("openai-main");
    await poll(() => create.getByLabel("api_key", { exact: true }).getAttribute("type")).toBe("password");
    await create.getByLabel("api_key", { exact: true }).fill(VALUES.privateKey);
    await create.getByLabel("Bind to a resource now").check();
    await create.getByLabel("Resource type").fill("SCORER_JOB");
    await create.getByLabel("Resource id").fill("job-1");
    await axe(admin, "create dialog");
    await snap(admin, "create-secret-dialog");
    await create.getByRole("button", { name: "Create and bind" }).click();
    await notified(admin, "Created secret openai-main and bound it to SCORER_JOB/job-1.");
    await create.waitFor({ state: "hidden" });
    await expectNoValueInDom(admin);

    await admin.getByRole("button", { name: "Create secret" }).click();
    await create.getByLabel("Provider", { exact: true }).selectOption("anthropic");
    await poll(() => create.getByLabel("version (optional)").inputValue()).toBe("2023-06-01");
    await create.getByLabel("Secret name").fill("anthropic-team");
    await create.getByLabel("api_key", { exact: true }).fill(VALUES.sharedKey);
    await create.getByLabel(/Shared: every signed-in principal/).check();
    await create.getByRole("button", { name: "Create", exact: true }).click();
    await notified(admin, "Created secret anthropic-team.");

    await admin.getByRole("button", { name: "Create secret" }).click();
    await create.getByLabel("Secret name").fill("ops-private");
    await create.getByLabel("Key name").fill("OPS_KEY");
    await create.getByLabel("Secret value").fill(VALUES.opsKey);
    await create.getByRole("button", { name: "Create", exact: true }).click();
    await notified(admin, "Created secret ops-private.");

    await admin.getByRole("button", { name: "Create secret" }).click();
    await create.getByLabel("Provider", { exact: true }).selectOption("bedrock");
    await poll(() => create.getByLabel("Key name").inputValue()).toBe("AWS_ACCESS_KEY_ID");
    await create.getByLabel("Auth mode").selectOption({ label: "Access keys" });
    await create.getByLabel("Secret name").fill("aws-bedrock");
    await create.getByLabel("aws_access_key_id").fill(VALUES.awsId);
    await create.getByLabel("aws_secret_access_key").fill(VALUES.awsSecret);
    // aws_session_token is optional: left blank, it is not sent (the mask below has no such field).
    await create.getByLabel("aws_region_name").fill("us-east-1");
    await create.getByRole("button", { name: "Create", exact: true }).click();
    await notified(admin, "Created secret aws-bedrock.");

    const table = admin.getByRole("table", { name: "Secrets" });
    const row = table.getByRole("row", { name: /openai-main/ });
    await contains(row, "openai");
    await contains(row, "gpt-4o");
    await contains(row, "Private");
    await contains(row, "Active");
    await contains(row, "bootstrap-admin");
    await poll(() => row.getByRole("cell").nth(4).innerText()).toBe("1");
    await contains(table.getByRole("row", { name: /anthropic-team/ }), "Shared");
    await contains(table.getByRole("row", { name: /aws-bedrock/ }), "aws_access_key_id:");
    expect(await table.getByRole("row", { name: /aws-bedrock/ }).innerText()).not.toContain("aws_session_token");
    await expectNoValueInDom(admin);
    await dismissNotifications(admin);
    await axe(admin, "secrets page");
    await snap(admin, "secrets");
  });

  it("sorts and filters the table by text, provider, scope and state", async () => {
    const table = admin.getByRole("table", { name: "Secrets" });
    const names = () => table.locator("tbody th").allInnerTexts();
    await table.getByRole("button", { name: /^Name/ }).click();
    expect(await names()).toEqual(["anthropic-team", "aws-bedrock", "openai-main", "ops-private"]);
    await table.getByRole("button", { name: /^Name/ }).click();
    expect(await names()).toEqual(["ops-private", "openai-main", "aws-bedrock", "anthropic-team"]);
    const filters = admin.getByRole("search", { name: "Filter secrets" });
    await filters.getByLabel("Scope").selectOption("Shared");
    await poll(() => table.locator("tbody th").allInnerTexts()).toEqual(["anthropic-team"]);
    await filters.getByLabel("Scope").selectOption("Any");
    await filters.getByLabel("Provider").fill("openai");
    await poll(() => table.locator("tbody th").allInnerTexts()).toEqual(["openai-main"]);
    await filters.getByLabel("Provider").fill("");
    await filters.getByLabel("Search").fill("ops");
    await poll(() => table.locator("tbody th").allInnerTexts()).toEqual(["ops-private"]);
    await filters.getByLabel("Search").fill("");
    await filters.getByLabel("State").selectOption("Revoked");
    await admin.getByText("No secrets match these filters").waitFor();
    await filters.getByLabel("State").selectOption("Any");
    await filters.getByLabel("Per page").selectOption("10");
    await poll(() => table.locator("tbody th").count()).toBe(4);
  });

  it("binds a secret to resources on the Bindings page and lists them by resource", async () => {
    await nav(admin, "Bindings");
    const form = admin.getByRole("form", { name: "Bind a secret" });
    for (const [type, id] of [
      ["SCORER_JOB", "job-2"],
      ["ENDPOINT", "ep-1"],
    ]) {
      await form.getByLabel("Secret").selectOption({ label: "anthropic-team (shared)" });
      await poll(() => form.getByLabel("Field name").inputValue()).toBe("ANTHROPIC_API_KEY");
      await form.getByLabel("Resource type").fill(type!);
      await form.getByLabel("Resource id").fill(id!);
      await form.getByRole("button", { name: "Bind" }).click();
      await notified(admin, `Bound anthropic-team to ${type}/${id} as ANTHROPIC_API_KEY.`);
    }
    const filter = admin.getByRole("search", { name: "Filter bindings" });
    await filter.getByLabel("Resource type").fill("SCORER_JOB");
    await filter.getByLabel("Resource id").fill("job-2");
    await filter.getByRole("button", { name: "Show bindings" }).click();
    const table = admin.getByRole("table", { name: "Bindings" });
    await poll(() => table.locator("tbody tr").count()).toBe(1);
    await contains(table.locator("tbody tr"), "anthropic-team");
    await axe(admin, "bindings page");
    await snap(admin, "bindings");
  });

  it("warns with the bound resources before a value change, then replaces the value", async () => {
    await nav(admin, "Secrets");
    await admin.getByRole("button", { name: "Update anthropic-team" }).click();
    const update = dialog(admin, "Update anthropic-team");
    await update.getByLabel("Replace the value").check();
    const warning = update.getByRole("note", { name: "Bound resources" });
    await contains(warning, "Bound to 2 resources");
    await contains(warning, "SCORER_JOB/job-2");
    await contains(warning, "ENDPOINT/ep-1");
    await update.getByLabel("api_key", { exact: true }).fill(VALUES.rotatedKey);
    await axe(admin, "update dialog");
    await snap(admin, "update-secret-dialog");
    await update.getByRole("button", { name: "Save changes" }).click();
    await notified(admin, "Updated secret anthropic-team.");
    await update.waitFor({ state: "hidden" });
    await expectNoValueInDom(admin);
  });

  it("reports a change made from a second tab as ABORTED instead of overwriting it", async () => {
    await admin.getByRole("button", { name: "Update openai-main" }).click();
    const stale = dialog(admin, "Update openai-main");
    await stale.getByLabel("Model").fill("gpt-4o-mini");

    const second = await newPage();
    await signIn(second, t.adminToken);
    await second.getByRole("button", { name: "Update openai-main" }).click();
    const fresh = dialog(second, "Update openai-main");
    await fresh.getByLabel("Model").fill("gpt-4.1");
    await fresh.getByRole("button", { name: "Save changes" }).click();
    await notified(second, "Updated secret openai-main.");

    await stale.getByLabel("Replace the value").check();
    await stale.getByLabel("api_key", { exact: true }).fill(VALUES.staleKey);
    await stale.getByRole("button", { name: "Save changes" }).click();
    const error = stale.getByRole("alert");
    await contains(error, "Changed by someone else since you opened it");
    await contains(error, "ABORTED");
    await snap(admin, "update-conflict");
    await admin.keyboard.press("Escape");
    await stale.waitFor({ state: "hidden" });
    await poll(() => admin.getByRole("button", { name: "Update openai-main" }).evaluate((el) => el === document.activeElement)).toBe(true);
    await contains(admin.getByRole("row", { name: /openai-main/ }), "gpt-4.1");
    await expectNoValueInDom(admin);
  });

  it("unbinds and revokes in the detail drawer, which shows metadata and, for admins, the audit trail", async () => {
    await admin.getByRole("button", { name: "Details of anthropic-team" }).click();
    const drawer = dialog(admin, "anthropic-team");
    await drawer.getByText("Value version", { exact: true }).waitFor();
    await drawer.locator("dd").filter({ hasText: /^2$/ }).waitFor();
    // Both value versions: who wrote each and under which KEK, never a value.
    const versions = drawer.getByRole("table", { name: "Value versions" });
    await poll(() => versions.locator("tbody th").allInnerTexts()).toEqual(["2", "1"]);
    await contains(versions.locator("tbody tr").first(), "bootstrap-admin");
    await contains(drawer.getByRole("table", { name: "Audit events" }), "UpdateSecret");
    await axe(admin, "detail drawer");
    await snap(admin, "secret-drawer");
    await drawer.getByRole("button", { name: "Unbind ENDPOINT/ep-1 ANTHROPIC_API_KEY" }).click();
    await notified(admin, "Removed the binding.");
    await poll(() => drawer.getByRole("table", { name: "Bindings" }).locator("tbody tr").count()).toBe(1);
    await drawer.getByRole("button", { name: "Revoke…" }).click();
    await drawer.getByRole("button", { name: "Revoke anthropic-team" }).click();
    await notified(admin, "Revoked secret anthropic-team.");
    await drawer.locator("dd").filter({ hasText: "Revoked" }).waitFor();
    await drawer.getByRole("button", { name: "Close" }).click();
    await contains(admin.getByRole("row", { name: /anthropic-team/ }), "Revoked");
  });

  it("deletes only once the exact name is typed, saying which bindings go with the secret", async () => {
    await admin.getByRole("button", { name: "Delete openai-main" }).click();
    const del = dialog(admin, "Delete openai-main");
    await contains(del.getByRole("note", { name: "Bound resources" }), "SCORER_JOB/job-1");
    await del.getByText("No gateway model definition uses it.").waitFor();
    const button = del.getByRole("button", { name: "Delete secret" });
    await poll(() => button.isDisabled()).toBe(true);
    await del.getByLabel(/to confirm/).fill("openai-mai");
    await poll(() => button.isDisabled()).toBe(true);
    await del.getByLabel(/to confirm/).fill("openai-main");
    await axe(admin, "delete dialog");
    await snap(admin, "delete-secret-dialog");
    await button.click();
    await notified(admin, "Deleted secret openai-main.");
    await poll(() => admin.getByRole("row", { name: /openai-main/ }).count()).toBe(0);
  });

  it("shows a user only their own and shared secrets, and no admin pages", async () => {
    const bob = await newPage();
    await signIn(bob, await t.token("user", "bob"));
    await contains(bob.getByLabel("Signed in as"), "bob");
    const table = bob.getByRole("table", { name: "Secrets" });
    await table.getByRole("row", { name: /anthropic-team/ }).waitFor();
    await poll(() => table.getByRole("row", { name: /ops-private/ }).count()).toBe(0);
    await poll(() => table.getByRole("row", { name: /aws-bedrock/ }).count()).toBe(0);
    const pages = bob.getByRole("navigation", { name: "Pages" });
    await poll(() => pages.getByRole("link", { name: "Audit", exact: true }).count()).toBe(0);
    await poll(() => pages.getByRole("link", { name: "Keys", exact: true }).count()).toBe(0);
    // Typed by hand, an admin page is not there either: the console goes to its first page.
    await bob.evaluate(() => {
      history.pushState(null, "", "/ui/audit");
      dispatchEvent(new PopStateEvent("popstate"));
    });
    await bob.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
    expect(new URL(bob.url()).pathname).toBe("/ui/secrets");
    // Only its creator and admins may change a shared secret, so bob is not offered it.
    await bob.getByRole("button", { name: "Details of anthropic-team" }).waitFor();
    await poll(() => bob.getByRole("button", { name: "Update anthropic-team" }).count()).toBe(0);
    await poll(() => bob.getByRole("button", { name: "Delete anthropic-team" }).count()).toBe(0);

    await bob.getByRole("button", { name: "Create secret" }).click();
    const create = dialog(bob, "Create secret");
    await create.getByLabel("Secret name").fill("bob-key");
    await create.getByLabel("Key name").fill("BOB_KEY");
    await create.getByLabel("Secret value").fill(VALUES.bobKey);
    await create.getByLabel("Bind to a resource now").check();
    await create.getByLabel("Resource id").fill("job-2");
    await create.getByRole("button", { name: "Create and bind" }).click();
    // SCORER_JOB/job-2 belongs to the admin, who bound there first: the service's word, in plain words.
    const refusal = create.getByRole("alert");
    await contains(refusal, "Not allowed (PERMISSION_DENIED)");
    await contains(refusal, "belongs to another principal");
    await create.getByLabel("Bind to a resource now").uncheck();
    await create.getByRole("button", { name: "Create", exact: true }).click();
    await notified(bob, "Created secret bob-key.");
    await snap(bob, "secrets-as-user");
    await expectNoValueInDom(bob);
  });

  it("filters the audit trail by principal, action and time range", async () => {
    await nav(admin, "Audit");
    const filters = admin.getByRole("search", { name: "Filter audit events" });
    const table = admin.getByRole("table", { name: "Audit events" });
    await filters.getByLabel("Principal").fill("bob");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await table.locator("tbody tr").first().waitFor();
    for (const principal of await table.locator("tbody td:nth-child(2)").allInnerTexts()) expect(principal).toBe("bob");
    await filters.getByLabel("Action").fill("CreateAndBindSecret");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await poll(() => table.locator("tbody tr").count()).toBe(1);
    await contains(table.locator("tbody tr"), /denied|PERMISSION_DENIED/);
    await filters.getByLabel("Principal").fill("");
    await filters.getByLabel("Action").fill("DeleteSecret");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await poll(() => table.locator("tbody tr").count()).toBe(1);
    await axe(admin, "audit page");
    await snap(admin, "audit");
    await filters.getByLabel("From").fill("2999-01-01T00:00");
    await filters.getByRole("button", { name: "Apply filters" }).click();
    await admin.getByText("No audit events match").waitFor();
  });

  it("shows the key-encryption keys to admins", async () => {
    await nav(admin, "Keys");
    const table = admin.getByRole("table", { name: "Key-encryption key versions" });
    await poll(() => table.locator("tbody tr").count()).toBe(1);
    await contains(table.locator("tbody tr"), "active");
    await admin.getByText(/Values under the active version: \d+ of \d+/).waitFor();
    await axe(admin, "keys page");
    await snap(admin, "keys");
  });

  it("sets up the gateway: a model definition on a key, an endpoint with a fallback, and the key's usage", async () => {
    await nav(admin, "Model definitions");
    await admin.getByText("No model definitions yet").waitFor();
    for (const name of ["claude-primary", "claude-backup"]) {
      await admin.getByRole("button", { name: "Create model definition" }).click();
      const create = dialog(admin, "Create model definition");
      await create.getByLabel("Name").fill(name);
      await create.getByLabel("API key").selectOption({ label: "aws-bedrock (bedrock)" });
      await poll(() => create.getByLabel("Provider").inputValue()).toBe("bedrock");
      await create.getByLabel("Model").fill("anthropic.claude-3-5-sonnet");
      await create.getByRole("button", { name: "Create" }).click();
      await notified(admin, `Created model definition ${name}.`);
    }
    await axe(admin, "model definitions page");
    await snap(admin, "gateway-model-definitions");

    await nav(admin, "Endpoints");
    await admin.getByRole("button", { name: "Create endpoint" }).click();
    const create = dialog(admin, "Create endpoint");
    await create.getByLabel("Endpoint name").fill("chat");
    await create.getByRole("button", { name: "Add primary model" }).click();
    await create.getByLabel("Primary model 1", { exact: true }).selectOption({ label: "claude-primary (bedrock/anthropic.claude-3-5-sonnet)" });
    await create.getByRole("button", { name: "Add fallback" }).click();
    await create.getByLabel("Fallback 1", { exact: true }).selectOption({ label: "claude-backup" });
    await create.getByLabel("Max attempts").fill("1");
    await axe(admin, "endpoint dialog");
    await snap(admin, "gateway-endpoint-dialog");
    await create.getByRole("button", { name: "Create endpoint" }).click();
    await notified(admin, "Created endpoint chat.");
    const row = admin.getByRole("row", { name: /chat/ });
    await contains(row, "claude-primary (weight 100)");
    await contains(row, "claude-backup (fallback 1)");
    await snap(admin, "gateway-endpoints");

    await nav(admin, "API keys");
    const keys = admin.getByRole("table", { name: "API keys" });
    await keys.getByRole("button", { name: "1 endpoint(s) use aws-bedrock" }).waitFor();
    await keys.getByRole("button", { name: "1 endpoint(s) use aws-bedrock" }).click();
    await contains(dialog(admin, "Endpoints using aws-bedrock"), "chat");
    await admin.keyboard.press("Escape");
    await axe(admin, "api keys page");
    await snap(admin, "gateway-api-keys");

    await keys.getByRole("button", { name: "Delete aws-bedrock" }).click();
    const del = dialog(admin, "Delete aws-bedrock");
    await contains(del.getByRole("note", { name: "Model definitions" }), "Used by 2 gateway model definitions");
    await admin.keyboard.press("Escape");

    // A model definition an endpoint routes to is not deleted: the refusal stays in the confirmation, in plain words.
    await nav(admin, "Model definitions");
    await admin.getByRole("button", { name: "Delete claude-primary" }).click();
    const confirm = dialog(admin, "Delete model definition claude-primary");
    await confirm.getByRole("button", { name: "Delete model definition" }).click();
    await contains(confirm.getByRole("alert"), "(FAILED_PRECONDITION)");
    await contains(confirm.getByRole("alert"), "chat");
    await admin.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });
  });

  it("signs out, forgetting the token and everything loaded", async () => {
    await admin.getByRole("button", { name: "Sign out" }).click();
    await admin.getByRole("heading", { name: "Sign in" }).waitFor();
    await poll(() => admin.getByText("ops-private").count()).toBe(0);
  });

  it("never let a value reach a URL or the browser console, and the CSP was never violated", () => {
    browser.expectNothingLeaked(HIDDEN_PARTS, [t.adminToken]);
  });
});
