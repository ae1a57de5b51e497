// Passkeys in real Chromium with its virtual authenticator (DevTools protocol:
// WebAuthn.enable / addVirtualAuthenticator; ctap2, internal transport, resident keys,
// user verification). A passkey added in Settings on the laptop signs in a fresh
// browser without a name typed, as the same person; removed, it signs in nobody, in
// plain words. Passkeys work at http://localhost:<port> (browsers take no IP address
// as a relying party): at 127.0.0.1 the login page links there instead.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { OwnServer, person, send, virtualAuthenticator } from "./support";

type Credential = Record<string, unknown>;

/** A fresh browser (no session, no storage) on the login page, holding `credentials`. */
async function freshBrowser(browser: Browser, baseURL: string, credentials: Credential[]): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  await virtualAuthenticator(page, credentials);
  await page.goto("/");
  return page;
}

async function openSettings(page: Page): Promise<void> {
  if (!(await page.getByTestId("settings-panel").isVisible())) {
    await page.getByTestId("open-settings").click();
  }
}

test.describe("passkeys", () => {
  let server: OwnServer;
  let local: string;
  test.beforeAll(async () => {
    server = await OwnServer.start();
    local = server.url.replace("127.0.0.1", "localhost");
  });
  test.afterAll(async () => server?.dispose());

  test("a passkey added on the laptop signs in a fresh browser as the same person, until removed", async ({ browser }) => {
    const ann = await person(browser, "Ann", "fox", local);
    const keys = await virtualAuthenticator(ann.page);
    const kai = await person(browser, "Kai", "owl", local);
    await kai.page.getByTestId("user-Ann").click();
    await send(kai.page, "a secret for Ann");

    await openSettings(ann.page);
    const passkeys = ann.page.getByTestId("passkeys");
    await expect(passkeys).toContainText("No passkeys yet");
    await ann.page.getByTestId("passkey-name").fill("Laptop");
    await ann.page.getByTestId("add-passkey").click();
    await expect(ann.page.getByTestId("passkey-added")).toBeVisible();
    await expect(passkeys.getByTestId("passkey")).toHaveCount(1);
    await expect(passkeys.getByTestId("passkey")).toContainText("Laptop");
    await expect(passkeys.getByTestId("passkey")).toContainText("Not used yet");
    const held = await keys.credentials();
    expect(held).toHaveLength(1);
    expect(held[0].isResidentCredential).toBe(true);
    expect(held[0].rpId).toBe("localhost");

    // A browser with nothing of Ann's but her passkey: no name typed.
    const fresh = await freshBrowser(browser, local, held);
    await expect(fresh.locator("#nickname")).toHaveValue("");
    await fresh.getByTestId("passkey-sign-in").click();
    await expect(fresh).toHaveURL(/\/chat$/);
    await expect(fresh.getByTestId("me")).toContainText("Ann");
    await fresh.getByTestId("user-Kai").click();
    await expect(fresh.getByTestId("message-text").getByText("a secret for Ann", { exact: true })).toBeVisible();
    // The laptop lists the new session, and the passkey as used.
    await ann.page.getByTestId("open-settings").click();
    await openSettings(ann.page);
    await expect(ann.page.getByTestId("device")).toHaveCount(2);
    await expect(passkeys.getByTestId("passkey")).not.toContainText("Not used yet");

    // Removed, the same passkey signs in nobody, and the page says why.
    await passkeys.getByTestId("remove-passkey").click();
    await expect(passkeys).toContainText("No passkeys yet");
    const another = await freshBrowser(browser, local, held);
    await another.getByTestId("passkey-sign-in").click();
    await expect(another.getByTestId("passkey-error")).toContainText("not one of an account here");
    await expect(another).toHaveURL(/\/$/);
  });

  test("at 127.0.0.1 the login page links to the address where passkeys work", async ({ page }) => {
    await page.goto(server.url);
    const hint = page.getByTestId("passkeys-elsewhere");
    await expect(hint).toBeVisible();
    await expect(hint.getByRole("link")).toHaveAttribute("href", local);
    await expect(page.getByTestId("passkey-sign-in")).toHaveCount(0);
  });
});
