/// <reference lib="dom" />
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleBrowser, axe, chromiumAvailable, contains, dialog, expectNotInDom, nav, notified, poll, snap } from "./support/console-browser.js";
import { type TestServer, startTestServer } from "./support/server.js";

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

  it("never let a token or value reach a URL or the browser console, and the CSP was never violated", () => {
    browser.expectNothingLeaked([], [t.adminToken, ...issued]);
    for (const token of issued) expect(browser.seen.console.join("\n")).not.toContain(token);
  });
});
