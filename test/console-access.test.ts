/// <reference lib="dom" />
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretsService } from "../gen/secrets/v1/service_pb.js";
import { as } from "./support/calls.js";
import { ConsoleBrowser, axe, chromiumAvailable, contains, dialog, expectNotInDom, hiddenParts, nav, notified, poll, snap } from "./support/console-browser.js";
import { type TestServer, startTestServer } from "./support/server.js";

const VALUES = {
  adminOpenai: "sk-proj-ADMINopenai-0123456789abcdef",
  sharedBedrock: "ABSKSHAREDbedrock-0123456789abcdef",
  anthropicMine: "sk-ant-MINEanthropic-0123456789abcdef",
  anthropicTeam: "sk-ant-TEAManthropic-0123456789abcdef",
  openaiTeam: "sk-proj-TEAMopenai-0123456789abcdef",
};
const HIDDEN_PARTS = hiddenParts(Object.values(VALUES));

describe.skipIf(!chromiumAvailable)("the console's tokens, provider keys and resource access pages in a real browser", () => {
  let t: TestServer;
  let browser: ConsoleBrowser;
  let admin: Page;
  const issued: string[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    browser = await ConsoleBrowser.launch(t);
    admin = await browser.newPage();
    await admin.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: t.baseUrl });
    await browser.signIn(admin, t.adminToken);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("issues a token shown once with a copy button, gone from the page once the dialog closes; a new user signs in with it", async () => {
    await nav(admin, "Tokens");
    const table = admin.getByRole("table", { name: "API tokens" });
    await contains(table.getByRole("row", { name: /bootstrap-admin/ }), "Live");
    await admin.getByRole("button", { name: "Create token" }).click();
    const create = dialog(admin, "Create token");
    await create.getByLabel("Principal", { exact: true }).fill("carol");
    await create.getByLabel("Role").selectOption("user");
    await create.getByLabel("Description").fill("carol's laptop");
    await axe(admin, "create token dialog");
    await create.getByRole("button", { name: "Create token" }).click();
    await notified(admin, "Created a user token for carol.");

    const shown = dialog(admin, "Token for carol");
    const token = (await shown.getByLabel("The new token").innerText()).trim();
    expect(token).toMatch(/^sst_/);
    issued.push(token);
    await shown.getByRole("button", { name: "Copy token" }).click();
    await shown.getByText("Copied to the clipboard.").waitFor();
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await axe(admin, "token shown once");
    await snap(admin, "token-created");
    await shown.getByRole("button", { name: "Done" }).click();
    await shown.waitFor({ state: "hidden" });
    await expectNotInDom(admin, [token, token.slice(8, 24)]);
    await contains(table.getByRole("row", { name: /carol/ }), "carol's laptop");
    await axe(admin, "tokens page");
    await snap(admin, "tokens");

    const carol = await browser.newPage();
    await browser.signIn(carol, token);
    await contains(carol.getByLabel("Signed in as"), "carol");
    await nav(carol, "Tokens");
    // A user sees only their own tokens and is not offered to issue any.
    const own = carol.getByRole("table", { name: "API tokens" });
    await poll(() => own.locator("tbody th").allInnerTexts()).toEqual(["carol"]);
    await poll(() => carol.getByRole("button", { name: "Create token" }).count()).toBe(0);
  });

  it("revokes a token after confirmation", async () => {
    const table = admin.getByRole("table", { name: "API tokens" });
    await table.getByRole("button", { name: /^Revoke the token of carol/ }).click();
    const confirm = dialog(admin, "Revoke the token of carol");
    await poll(() => confirm.getByRole("button", { name: "Cancel" }).evaluate((el) => el === document.activeElement)).toBe(true);
    await confirm.getByRole("button", { name: "Revoke token" }).click();
    await notified(admin, "Revoked the token of carol.");
    await poll(() => table.getByRole("row", { name: /carol/ }).count()).toBe(0);
    await admin.getByLabel("Include revoked and expired tokens").check();
    await contains(table.getByRole("row", { name: /carol/ }), "Revoked");
  });

  it("shows which providers have a key (yours / shared), sets them with their auth mode's fields, and removes one after confirmation", async () => {
    await nav(admin, "Provider keys");
    const table = admin.getByRole("table", { name: "Provider keys" });
    const openai = table.getByRole("row", { name: /OpenAI \(openai\)/ });
    await poll(() => openai.getByText("No key").count()).toBe(2);
    await openai.getByRole("button", { name: "Set your key for OpenAI" }).click();
    const set = dialog(admin, "Set your key for OpenAI");
    await poll(() => set.getByLabel("Key name").inputValue()).toBe("OPENAI_API_KEY");
    await set.getByLabel("api_key", { exact: true }).fill(VALUES.adminOpenai);
    await axe(admin, "set provider key dialog");
    await set.getByRole("button", { name: "Set key" }).click();
    await notified(admin, "Set your key for OpenAI (secret openai-key).");
    await contains(openai, "✓ Yours");

    const bedrock = table.getByRole("row", { name: /\(bedrock\)/ });
    await bedrock.getByRole("button", { name: /^Set the shared key for/ }).click();
    const shared = admin.getByRole("dialog", { name: /^Set the shared key for/ });
    await shared.getByLabel("Auth mode").selectOption({ label: "Bedrock API key" });
    await shared.getByLabel("api_key", { exact: true }).fill(VALUES.sharedBedrock);
    await poll(() => shared.getByLabel("aws_region_name").getAttribute("required")).not.toBeNull();
    await shared.getByLabel("aws_region_name").fill("eu-west-1");
    await shared.getByRole("button", { name: "Set key" }).click();
    await notified(admin, /Set the shared key for .* \(secret bedrock-shared\)\./);
    await contains(bedrock, "✓ Shared");
    await admin.getByLabel("Only providers with a key").check();
    await poll(() => table.locator("tbody tr").count()).toBe(2);
    await expectNotInDom(admin, HIDDEN_PARTS);
    await axe(admin, "provider keys page");
    await snap(admin, "provider-keys");

    // A user sees the shared key but is offered only their own.
    const bob = await browser.newPage();
    await browser.signIn(bob, await t.token("user", "bob"));
    await nav(bob, "Provider keys");
    const bobs = bob.getByRole("table", { name: "Provider keys" }).getByRole("row", { name: /\(bedrock\)/ });
    await contains(bobs, "✓ Shared");
    await bobs.getByRole("button", { name: /^Set your key for/ }).waitFor();
    await poll(() => bobs.getByRole("button", { name: /shared key/ }).count()).toBe(0);

    await openai.getByRole("button", { name: "Remove your key for OpenAI" }).click();
    const confirm = dialog(admin, "Remove your key for OpenAI");
    await confirm.getByRole("button", { name: "Remove key" }).click();
    await notified(admin, "Removed your key for openai.");
    await poll(() => table.locator("tbody tr").count()).toBe(1);
  });

  it("sets a provider key from an existing secret the caller may use; the shared key is offered shared secrets only", async () => {
    const secrets = createClient(SecretsService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    const make = (secretName: string, provider: string, secretValue: string, isShared: boolean) =>
      secrets.createSecret({ secretName, fieldName: `${provider.toUpperCase()}_API_KEY`, provider, secretValue, isShared }, as(t.adminToken));
    await make("anthropic-mine", "anthropic", VALUES.anthropicMine, false);
    await make("anthropic-team", "anthropic", VALUES.anthropicTeam, true);
    // Another provider's secret is not offered: the service would refuse it.
    await make("openai-team", "openai", VALUES.openaiTeam, true);

    await nav(admin, "Tokens");
    await nav(admin, "Provider keys");
    const row = admin.getByRole("table", { name: "Provider keys" }).getByRole("row", { name: /\(anthropic\)/ });
    await row.getByRole("button", { name: /^Set the shared key for/ }).click();
    const shared = admin.getByRole("dialog", { name: /^Set the shared key for/ });
    await shared.getByLabel("An existing secret").check();
    const offered = (d: typeof shared) => d.getByLabel("Secret", { exact: true }).locator("option:not([disabled])").allInnerTexts();
    await poll(() => offered(shared)).toEqual([expect.stringMatching(/^anthropic-team \(shared, anthropic, sk-/)]);
    await admin.keyboard.press("Escape");
    await shared.waitFor({ state: "hidden" });

    await row.getByRole("button", { name: /^Set your key for/ }).click();
    const mine = admin.getByRole("dialog", { name: /^Set your key for/ });
    await mine.getByLabel("An existing secret").check();
    await poll(async () => (await offered(mine)).map((o) => o.split(" ")[0])).toEqual(["anthropic-mine", "anthropic-team"]);
    await mine.getByLabel("Secret", { exact: true }).selectOption({ index: 1 });
    await axe(admin, "set provider key from an existing secret");
    await snap(admin, "provider-key-existing-secret");
    await mine.getByRole("button", { name: "Set key" }).click();
    await notified(admin, /Set your key for .* \(secret anthropic-mine\)\./);
    await contains(row, "✓ Yours");
    await contains(row, "anthropic-mine");
    await expectNotInDom(admin, HIDDEN_PARTS);
  });

  it("shows a resource's owner and grants on the Bindings page; grants, revokes and (admins) transfers it", async () => {
    await nav(admin, "Bindings");
    const filter = admin.getByRole("search", { name: "Filter bindings" });
    await filter.getByLabel("Resource type").fill("SCORER_JOB");
    await filter.getByLabel("Resource id").fill("job-9");
    await filter.getByRole("button", { name: "Show bindings" }).click();
    const access = admin.getByRole("region", { name: "Access to SCORER_JOB/job-9" });
    await access.getByText(/Nobody owns it yet/).waitFor();
    const grant = access.getByRole("form", { name: "Grant access" });
    await grant.getByLabel("Principal to let in").fill("bob");
    await grant.getByRole("button", { name: "Grant" }).click();
    await notified(admin, "Granted bob access to SCORER_JOB/job-9.");
    await contains(access, "Owned by bootstrap-admin");
    const grants = access.getByRole("table", { name: "Grants on SCORER_JOB/job-9" });
    await contains(grants.getByRole("row", { name: /bob/ }), "bootstrap-admin");
    await axe(admin, "resource access");
    await snap(admin, "resource-access");

    await grants.getByRole("button", { name: "Revoke bob's access" }).click();
    await dialog(admin, "Revoke bob's access").getByRole("button", { name: "Revoke access" }).click();
    await notified(admin, "Revoked bob's access to SCORER_JOB/job-9.");
    await access.getByText("No grants").waitFor();

    const transfer = access.getByRole("form", { name: "Transfer ownership" });
    await transfer.getByLabel("New owner").fill("bob");
    await transfer.getByRole("button", { name: "Transfer…" }).click();
    await dialog(admin, "Transfer SCORER_JOB/job-9").getByRole("button", { name: "Transfer to bob" }).click();
    await notified(admin, "Transferred SCORER_JOB/job-9 to bob.");
    await contains(access, "Owned by bob");
  });

  it("never let a token or value reach a URL or the browser console, and the CSP was never violated", () => {
    browser.expectNothingLeaked(HIDDEN_PARTS, [t.adminToken, ...issued]);
    for (const token of issued) expect(browser.seen.console.join("\n")).not.toContain(token);
  });
});
