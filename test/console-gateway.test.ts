/// <reference lib="dom" />
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayService } from "../gen/secrets/v1/gateway_pb.js";
import { as } from "./support/calls.js";
import { ConsoleBrowser, axe, chromiumAvailable, contains, dialog, dismissNotifications, expectNotInDom, hiddenParts, nav, notified, poll, snap } from "./support/console-browser.js";
import { type TestServer, startTestServer } from "./support/server.js";

const VALUES = {
  openai: "sk-proj-GWopenai-0123456789abcdef",
  openaiAgain: "sk-proj-GWagain-0123456789abcdef",
  inline: "sk-ant-GWinline-0123456789abcdef",
  awsId: "AKIAGATEWAYEXAMPLE01",
  awsSecret: "gAtEwAyXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLE",
};
const HIDDEN_PARTS = hiddenParts(Object.values(VALUES));

describe.skipIf(!chromiumAvailable)("the console's gateway pages in a real browser", () => {
  let t: TestServer;
  let browser: ConsoleBrowser;
  let admin: Page;

  beforeAll(async () => {
    t = await startTestServer();
    browser = await ConsoleBrowser.launch(t);
    admin = await browser.newPage();
    await browser.signIn(admin, t.adminToken);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it("creates API keys: provider → auth mode → that mode's fields", async () => {
    await nav(admin, "API keys");
    await admin.getByText("No API keys created").waitFor();
    const keys: Array<[string, string, (d: ReturnType<typeof dialog>) => Promise<void>]> = [
      ["openai", "openai-gw", (d) => d.getByLabel("api_key", { exact: true }).fill(VALUES.openai)],
      [
        "bedrock",
        "bedrock-gw",
        async (d) => {
          await d.getByLabel("Auth mode").selectOption({ label: "Access keys" });
          await d.getByLabel("aws_access_key_id").fill(VALUES.awsId);
          await d.getByLabel("aws_secret_access_key").fill(VALUES.awsSecret);
          await d.getByLabel("aws_region_name").fill("us-east-1");
        },
      ],
    ];
    for (const [provider, name, fill] of keys) {
      await admin.getByRole("button", { name: "Create API key" }).click();
      const create = dialog(admin, "Create API key");
      await create.getByLabel("Provider", { exact: true }).selectOption(provider);
      await create.getByLabel("Key name").fill(name);
      await fill(create);
      if (provider === "bedrock") {
        await axe(admin, "create api key dialog");
        await snap(admin, "gateway-create-api-key");
      }
      await create.getByRole("button", { name: "Create API key" }).click();
      await notified(admin, `Created API key ${name}.`);
    }
    const table = admin.getByRole("table", { name: "API keys" });
    await contains(table.getByRole("row", { name: /bedrock-gw/ }), "aws_access_key_id:");
    await expectNotInDom(admin, HIDDEN_PARTS);
  });

  it("edits a key with its name and provider read-only; a new api_base without the secret is refused in plain words", async () => {
    await admin.getByRole("button", { name: "Edit openai-gw" }).click();
    const edit = dialog(admin, "Edit API key openai-gw");
    await poll(() => edit.getByLabel("Key name").getAttribute("readonly")).not.toBeNull();
    await poll(() => edit.getByLabel("Provider").inputValue()).toBe("OpenAI (openai)");
    await poll(() => edit.getByLabel("api_key (optional)").count()).toBe(0);
    await poll(() => edit.getByLabel("api_key", { exact: true }).inputValue()).toBe("");
    await edit.getByLabel("api_base (optional)").fill("https://eu.api.openai.com/v1");
    await edit.getByRole("button", { name: "Save API key" }).click();
    const refusal = edit.getByRole("alert");
    await contains(refusal, "The request was not accepted (INVALID_ARGUMENT)");
    await contains(refusal, "give the secret's value again");
    await axe(admin, "edit api key dialog");
    await snap(admin, "gateway-edit-api-key-refused");
    await edit.getByLabel("api_key", { exact: true }).fill(VALUES.openaiAgain);
    await edit.getByRole("button", { name: "Save API key" }).click();
    await notified(admin, "Saved API key openai-gw.");
    await edit.waitFor({ state: "hidden" });
    await expectNotInDom(admin, HIDDEN_PARTS);
  });

  it("hides and shows columns, and filters by provider", async () => {
    const table = admin.getByRole("table", { name: "API keys" });
    await admin.getByText("Columns", { exact: true }).click();
    const chooser = admin.getByRole("group", { name: "Shown columns" });
    await chooser.getByLabel("Masked value").uncheck();
    await poll(() => table.getByRole("columnheader", { name: "Masked value" }).count()).toBe(0);
    await chooser.getByLabel("Created").check();
    await table.getByRole("columnheader", { name: /^Created/ }).waitFor();
    await admin.getByText("Columns", { exact: true }).click();
    const filters = admin.getByRole("search", { name: "Filter API keys" });
    await filters.getByRole("combobox", { name: "Provider" }).selectOption("bedrock");
    await poll(() => table.locator("tbody th").allInnerTexts()).toEqual(["bedrock-gw"]);
    await filters.getByRole("combobox", { name: "Provider" }).selectOption("Any");
    await poll(() => table.locator("tbody th").count()).toBe(2);
  });

  it("creates an endpoint: per model provider → catalog model → a key of that provider or a new one inline; weights and fallbacks", async () => {
    await nav(admin, "Endpoints");
    await admin.getByRole("button", { name: "Create endpoint" }).click();
    const create = dialog(admin, "Create endpoint");
    await create.getByLabel("Endpoint name").fill("chat");
    const add = create.getByRole("form", { name: "Add a model from the catalog" });

    await add.getByLabel("Provider", { exact: true }).selectOption("openai");
    await add.getByLabel("Model", { exact: true }).fill("gpt-4o");
    await add.getByLabel("API key").selectOption({ label: "openai-gw" });
    await add.getByRole("button", { name: "Add as primary" }).click();
    await notified(admin, "Created model definition openai-gpt-4o.");
    await poll(() => create.getByLabel("Primary model 1", { exact: true }).locator("option:checked").innerText()).toContain("openai-gpt-4o");

    await add.getByLabel("Provider", { exact: true }).selectOption("anthropic");
    await add.getByLabel("Model", { exact: true }).fill("claude-sonnet-4-5");
    await add.getByLabel("API key").selectOption({ label: "Create a new key…" });
    await add.getByLabel("Key name").fill("anthropic-inline");
    await add.getByLabel("api_key", { exact: true }).fill(VALUES.inline);
    await add.getByRole("button", { name: "Add as primary" }).click();
    await notified(admin, "Created API key anthropic-inline.");
    await notified(admin, "Created model definition anthropic-claude-sonnet-4-5.");

    await add.getByLabel("Provider", { exact: true }).selectOption("bedrock");
    await add.getByLabel("Model", { exact: true }).fill("anthropic.claude-3-5-sonnet");
    await add.getByLabel("API key").selectOption({ label: "bedrock-gw" });
    await add.getByLabel("Model definition name").fill("claude-on-bedrock");
    await add.getByRole("button", { name: "Add as fallback" }).click();
    await notified(admin, "Created model definition claude-on-bedrock.");
    await poll(() => create.getByLabel("Fallback 1", { exact: true }).locator("option:checked").innerText()).toBe("claude-on-bedrock");

    await create.getByLabel("Weight of model 1").fill("70");
    await create.getByLabel("Weight of model 2").fill("30");
    await poll(() => create.getByLabel("Share of model 1").innerText()).toBe("70%");
    await poll(() => create.getByLabel("Share of model 2").innerText()).toBe("30%");
    await create.getByLabel("Max attempts").fill("1");
    await axe(admin, "endpoint dialog");
    await snap(admin, "gateway-endpoint-form");
    await create.getByRole("button", { name: "Create endpoint" }).click();
    await notified(admin, "Created endpoint chat.");
    const row = admin.getByRole("row", { name: /chat/ });
    await contains(row, "openai-gpt-4o (weight 70)");
    await contains(row, "claude-on-bedrock (fallback 1)");
    await expectNotInDom(admin, HIDDEN_PARTS);
  });

  it("shows an endpoint's details with its connected resources, and edits its traffic split", async () => {
    // Jobs bind endpoints to themselves (MLflow's UI shows bindings read-only); one does so here.
    const gateway = createClient(GatewayService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    const chat = (await gateway.getEndpoint({ name: "chat" }, as(t.adminToken))).endpoint!;
    await gateway.createEndpointBinding({ endpointId: chat.endpointId, resourceType: "SCORER_JOB", resourceId: "scorer-7", displayName: "Toxicity scorer" }, as(t.adminToken));
    // The token lives in the tab's memory only: a reload signs out, and signing in again loads everything afresh.
    await admin.reload();
    await browser.signIn(admin, t.adminToken);
    await nav(admin, "Endpoints");

    await admin.getByRole("table", { name: "Endpoints" }).getByRole("button", { name: "chat", exact: true }).click();
    const drawer = dialog(admin, "Endpoint chat");
    const models = drawer.getByRole("table", { name: "Models of chat" });
    await contains(models.getByRole("row", { name: /openai-gpt-4o/ }), "weight 70 (70%)");
    await contains(models.getByRole("row", { name: /claude-on-bedrock/ }), "fallback 1");
    const resources = drawer.getByRole("table", { name: "Resources using chat" });
    await contains(resources.getByRole("row", { name: /SCORER_JOB\/scorer-7/ }), "Toxicity scorer");
    await axe(admin, "endpoint details");
    await snap(admin, "gateway-endpoint-details");
    await admin.keyboard.press("Escape");
    await drawer.waitFor({ state: "hidden" });

    await admin.getByRole("button", { name: "Edit chat" }).click();
    const edit = dialog(admin, "Edit chat");
    await edit.getByRole("button", { name: "Split evenly" }).click();
    await poll(() => edit.getByLabel("Share of model 1").innerText()).toBe("50%");
    await edit.getByRole("button", { name: "Save endpoint" }).click();
    await notified(admin, "Saved endpoint chat.");
    await contains(admin.getByRole("row", { name: /chat/ }), "openai-gpt-4o (weight 50)");
  });

  it("opens a key's details from its name: metadata, the endpoints using it and their resources (each opening the endpoint's drawer), and its actions", async () => {
    await nav(admin, "API keys");
    const table = admin.getByRole("table", { name: "API keys" });
    await table.getByRole("button", { name: "1 resource(s) use openai-gw" }).waitFor();
    await table.getByRole("button", { name: "Details of openai-gw" }).click();
    const drawer = dialog(admin, "API key openai-gw");
    await contains(drawer.getByRole("definition"), "OpenAI (openai)");
    await contains(drawer.getByRole("list", { name: "Masked values" }), "api_key:");
    await contains(drawer.getByRole("definition"), "api_base=https://eu.api.openai.com/v1");
    await drawer.getByRole("term").filter({ hasText: "Last updated" }).waitFor();
    const endpoints = drawer.getByRole("table", { name: "Endpoints using openai-gw" });
    await contains(endpoints.getByRole("row", { name: /chat/ }), "openai-gpt-4o");
    const resources = drawer.getByRole("table", { name: "Resources using openai-gw" });
    await contains(resources.getByRole("row", { name: /SCORER_JOB\/scorer-7/ }), "Toxicity scorer");
    await axe(admin, "api key details");
    await snap(admin, "gateway-api-key-details");
    await expectNotInDom(admin, HIDDEN_PARTS);

    // An endpoint opens its own drawer over the key's; Escape comes back to the key.
    await resources.getByRole("button", { name: "Details of endpoint chat" }).click();
    const endpoint = dialog(admin, "Endpoint chat");
    await endpoint.getByRole("table", { name: "Models of chat" }).waitFor();
    await admin.keyboard.press("Escape");
    await endpoint.waitFor({ state: "hidden" });
    await drawer.waitFor();

    await drawer.getByRole("button", { name: "Edit key" }).click();
    const edit = dialog(admin, "Edit API key openai-gw");
    await poll(() => edit.getByLabel("api_key", { exact: true }).inputValue()).toBe("");
    await admin.keyboard.press("Escape");
    await edit.waitFor({ state: "hidden" });
    await drawer.getByRole("button", { name: "Delete key…" }).click();
    const del = dialog(admin, "Delete openai-gw");
    await contains(del, "Type");
    await admin.keyboard.press("Escape");
    await del.waitFor({ state: "hidden" });
    await admin.keyboard.press("Escape");
    await drawer.waitFor({ state: "hidden" });
  });

  it("bulk-deletes selected API keys after a confirmation that lists them and the model definitions they orphan", async () => {
    await nav(admin, "API keys");
    const table = admin.getByRole("table", { name: "API keys" });
    await table.getByRole("button", { name: "1 resource(s) use openai-gw" }).waitFor();
    await table.getByLabel("Select openai-gw").check();
    await table.getByLabel("Select anthropic-inline").check();
    await admin.getByRole("button", { name: "Delete selected (2)" }).click();
    const confirm = dialog(admin, "Delete 2 API keys");
    const listed = confirm.getByRole("list", { name: "Keys to delete" });
    await contains(listed, "openai-gw");
    await contains(listed, "anthropic-inline");
    await contains(confirm.getByRole("note", { name: "Orphaned model definitions" }), "2 model definitions lose their key");
    await axe(admin, "bulk delete dialog");
    await snap(admin, "gateway-bulk-delete");
    await confirm.getByRole("button", { name: "Delete 2 API keys" }).click();
    await notified(admin, "Deleted API key openai-gw.");
    await notified(admin, "Deleted API key anthropic-inline.");
    await poll(() => table.locator("tbody th").allInnerTexts()).toEqual(["bedrock-gw"]);
    await dismissNotifications(admin);
    await axe(admin, "api keys page");
    await snap(admin, "gateway-api-keys");
  });

  it("counts a key's endpoints and resources over every page of the lists, showing that it is counting meanwhile", async () => {
    // Four endpoints on bedrock-gw (chat, and three more) serving seven resources, read two rows a page.
    const gateway = createClient(GatewayService, createConnectTransport({ baseUrl: t.baseUrl, httpVersion: "1.1" }));
    const key = (await gateway.listGatewaySecretInfos({}, as(t.adminToken))).secrets.find((s) => s.secretName === "bedrock-gw")!;
    for (const n of [1, 2, 3]) {
      const model = (await gateway.createModelDefinition({ name: `paged-model-${n}`, secretId: key.secretId, provider: "bedrock", modelName: "anthropic.claude-3-5-sonnet" }, as(t.adminToken))).modelDefinition!;
      const endpoint = (await gateway.createEndpoint({ name: `paged-${n}`, modelConfigs: [{ modelDefinitionId: model.modelDefinitionId }] }, as(t.adminToken))).endpoint!;
      for (const r of ["a", "b"]) await gateway.createEndpointBinding({ endpointId: endpoint.endpointId, resourceType: "SCORER_JOB", resourceId: `paged-${n}${r}` }, as(t.adminToken));
    }

    // The console asks for the API's largest page (1000); this tab's requests ask for 2 instead, so
    // following next_page_token is exercised without creating a thousand rows. The bindings' pages
    // wait until released, to see the count's loading state.
    const paged = await browser.newPage();
    const calls = new Map<string, number>();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    await paged.route(/\/secrets\.v1\.GatewayService\/List\w+$/, async (route) => {
      const method = new URL(route.request().url()).pathname.split("/").pop()!;
      const body = JSON.parse(route.request().postData() || "{}") as { pageSize?: number };
      if (body.pageSize !== 1000) return route.continue();
      calls.set(method, (calls.get(method) ?? 0) + 1);
      if (method === "ListEndpointBindings") await released;
      await route.continue({ postData: JSON.stringify({ ...body, pageSize: 2 }) });
    });
    await browser.signIn(paged, t.adminToken);
    await nav(paged, "API keys");
    const row = paged.getByRole("table", { name: "API keys" }).getByRole("row", { name: /bedrock-gw/ });
    await contains(row, "Counting…");
    await paged.getByRole("status").filter({ hasText: "Loading the endpoints and resources using each key" }).waitFor();
    await axe(paged, "api keys page while counting");
    await snap(paged, "gateway-api-keys-counting");
    release();
    await row.getByRole("button", { name: "4 endpoint(s) use bedrock-gw" }).waitFor();
    await row.getByRole("button", { name: "7 resource(s) use bedrock-gw" }).click();
    const resources = dialog(paged, "Resources using bedrock-gw").getByRole("table", { name: "Resources using bedrock-gw" });
    await poll(() => resources.locator("tbody tr").count()).toBe(7);
    expect(calls.get("ListModelDefinitions")).toBeGreaterThan(1);
    expect(calls.get("ListEndpoints")).toBeGreaterThan(1);
    expect(calls.get("ListEndpointBindings")).toBeGreaterThan(3);
    await paged.context().close();
  });

  it("offers a service token nothing it may not do: no create, edit, delete or selection", async () => {
    const service = await browser.newPage();
    await browser.signIn(service, await t.token("service", "scorer"));
    await nav(service, "API keys");
    await service.getByRole("search", { name: "Filter API keys" }).waitFor();
    await poll(() => service.getByRole("button", { name: /Create API key|Delete selected/ }).count()).toBe(0);
    await poll(() => service.getByRole("checkbox", { name: /^Select / }).count()).toBe(0);
    await nav(service, "Endpoints");
    await service.getByRole("table", { name: "Endpoints" }).getByRole("button", { name: "chat", exact: true }).waitFor();
    await poll(() => service.getByRole("button", { name: /Create endpoint|Edit chat|Delete chat/ }).count()).toBe(0);
    await nav(service, "Provider keys");
    await service.getByRole("table", { name: "Provider keys" }).waitFor();
    await poll(() => service.getByRole("button", { name: /Set your key|Set the shared key/ }).count()).toBe(0);
  });

  it("never let a value reach a URL or the browser console, and the CSP was never violated", () => {
    browser.expectNothingLeaked(HIDDEN_PARTS, [t.adminToken]);
  });
});
