// The protections a browser sees: the page's Content-Security-Policy is in force (an
// injected inline script does not run) while the hydrated app still works under it,
// and a connection the server closes for a policy violation (1008) is shown to the
// user in plain words.
import { expect, test } from "@playwright/test";
import { login, message, OwnServer, send, unique } from "./support";

test("the page's security policy is in force and the app works under it", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
  });
  const response = await page.goto("/");
  const policy = response!.headers()["content-security-policy"];
  expect(policy).toMatch(/script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(response!.headers()["x-content-type-options"]).toBe("nosniff");

  // Hydrated, logged in, a message sent and shown: the app runs under the policy.
  const nickname = unique("csp");
  await login(page, nickname);
  const text = `${unique("works")} under the policy`;
  await send(page, text);
  await expect(message(page, text)).toBeVisible();
  expect(violations, "the app itself broke the policy").toEqual([]);

  // An inline script that slipped into the page (what an XSS would add) does not run.
  const ran = await page.evaluate(async () => {
    const script = document.createElement("script");
    script.textContent = "window.__injected = true;";
    document.body.appendChild(script);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return (window as unknown as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
});

test("a connection closed for a policy violation is shown to the user", async ({ page }) => {
  // Between the page and the real server: once the app is logged in, ten frames that
  // are not messages go to the server from this connection, which closes it with 1008.
  let toServer: { send(message: string): void } | undefined;
  await page.routeWebSocket(/\/ws$/, (ws) => {
    const server = ws.connectToServer();
    toServer = server;
  });
  await login(page, unique("rude"));
  expect(toServer).toBeDefined();
  for (let i = 0; i < 10; i++) toServer!.send("this is not JSON");
  const notice = page.getByTestId("closed-because");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("too many invalid messages");
  // The app reconnects by itself (and the notice stays a while, to be read).
  await expect(page.getByTestId("connection-status")).toHaveText("Connected", { timeout: 15_000 });
  await expect(notice).toContainText("too many invalid messages");
});

test.describe("with a login deadline of one second", () => {
  let server: OwnServer;
  test.beforeAll(async () => {
    server = await OwnServer.start({ CHAT_LOGIN_TIMEOUT_SECS: "1" });
  });
  test.afterAll(async () => server?.dispose());

  test("a login page left open is closed by the server, and logging in still works", async ({ page }) => {
    await page.goto(server.url);
    const status = page.getByTestId("connection-status");
    // Closed after the deadline (4003): idle, not an error, and not reconnecting in a loop.
    await expect(status).toHaveText("Ready (connects when you join)", { timeout: 5_000 });
    await page.waitForTimeout(1_500);
    await expect(status).toHaveText("Ready (connects when you join)");
    await expect(page.getByTestId("closed-because")).toBeHidden();
    const nickname = unique("late");
    await page.locator('label.avatar-choice[data-avatar="owl"]').click();
    await page.getByLabel("Nickname").fill(nickname);
    await page.getByLabel("Nickname").press("Enter");
    await expect(page).toHaveURL(/\/chat$/);
    await expect(page.getByTestId("me")).toHaveText(nickname);
  });
});
