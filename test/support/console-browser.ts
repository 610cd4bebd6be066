/// <reference lib="dom" />
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, type Locator, type Page, chromium } from "playwright-core";
import { expect } from "vitest";
import type { TestServer } from "./server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const chromiumAvailable = existsSync(CHROMIUM);
if (!chromiumAvailable && process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);

const SCREENSHOTS = new URL("../../test-results/console/", import.meta.url);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** What a mask may show is at most a quarter of a value, so checks look for the unshown middle of each. */
export function hiddenParts(values: readonly string[]): string[] {
  return values.map((v) => v.slice(Math.ceil(v.length / 4), Math.ceil(v.length / 4) + 8));
}

/** Waits until the element has the text (Playwright's auto-waiting; no deadline is asserted). */
export async function contains(locator: Locator, text: string | RegExp) {
  await locator.filter({ hasText: text }).first().waitFor();
}

/** Retries until the matcher holds, as the page settles after each action. */
export function poll<T>(read: () => Promise<T>) {
  return expect.poll(read, { timeout: 10_000, interval: 50 });
}

export function dialog(page: Page, name: string) {
  return page.getByRole("dialog", { name });
}

export async function notified(page: Page, text: string | RegExp) {
  await page.getByRole("status").filter({ hasText: text }).last().waitFor();
}

export async function nav(page: Page, title: string) {
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: title, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
}

export async function snap(page: Page, name: string) {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: false });
}

/** axe-core run inside the page (evaluated over DevTools, which the page's CSP does not govern). */
export async function axe(page: Page, where: string) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe.run();
    return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  });
  expect(violations, where).toEqual([]);
}

export async function expectNotInDom(page: Page, parts: readonly string[]) {
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  for (const part of parts) expect(html).not.toContain(part);
}

export async function dismissNotifications(page: Page) {
  const dismiss = page.getByRole("button", { name: "Dismiss notification" });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
}

/** Headless Chromium against a test server, recording every console message and URL its pages see. */
export class ConsoleBrowser {
  readonly seen = { console: [] as string[], urls: [] as string[] };
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    private readonly browser: Browser,
    private readonly t: TestServer,
  ) {}

  static async launch(t: TestServer): Promise<ConsoleBrowser> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    return new ConsoleBrowser(browser, t);
  }

  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1440, height: 860 } });
    // Fail a step well within the test's own timeout, naming the element that did not appear.
    context.setDefaultTimeout(8_000);
    this.contexts.push(context);
    const page = await context.newPage();
    page.on("console", (m) => this.seen.console.push(m.text()));
    page.on("pageerror", (e) => this.seen.console.push(`pageerror: ${e.message}`));
    page.on("request", (r) => this.seen.urls.push(r.url()));
    page.on("framenavigated", (f) => this.seen.urls.push(f.url()));
    return page;
  }

  async signIn(page: Page, token: string) {
    await page.goto(`${this.t.baseUrl}/`);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
  }

  /** No value reached a URL or the browser console, no token a URL, and the CSP was never violated. */
  expectNothingLeaked(parts: readonly string[], tokens: readonly string[]) {
    const joined = [...this.seen.urls, ...this.seen.console].join("\n");
    for (const part of parts) expect(joined).not.toContain(part);
    for (const token of tokens) expect(this.seen.urls.join("\n")).not.toContain(token);
    expect(this.seen.console.filter((m) => /Content Security Policy|pageerror/i.test(m))).toEqual([]);
    expect(this.seen.urls.every((u) => u.startsWith(this.t.baseUrl) || u === "about:blank")).toBe(true);
  }

  async close() {
    for (const c of this.contexts) await c.close();
    await this.browser.close();
  }
}
