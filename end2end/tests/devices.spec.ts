// One person on several devices, in real Chromium against the real server: a phone
// (a browser context of its own, with a phone's User-Agent) linked by a code the laptop
// shows, the same person afterwards, and sent back to the login page when the laptop
// ends its session. Servers of their own: the tests count who is online.
import { devices, expect, test, type Browser, type Page } from "@playwright/test";
import { message, OwnServer, person, send } from "./support";

const PHONE_AGENT = devices["Pixel 7"].userAgent;

/** A fresh browser context that says it is a phone, on the login page. */
async function phone(browser: Browser, baseURL: string, path = "/"): Promise<Page> {
  const context = await browser.newContext({ baseURL, userAgent: PHONE_AGENT });
  const page = await context.newPage();
  await page.goto(path);
  return page;
}

/** Opens Settings on a signed-in page (unless open) and asks for a code: the code. */
async function offerCode(page: Page): Promise<string> {
  if (!(await page.getByTestId("settings-panel").isVisible())) {
    await page.getByTestId("open-settings").click();
  }
  await page.getByTestId("add-device").click();
  const code = await page.getByTestId("link-code").getAttribute("data-code");
  expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  return code as string;
}

/** Types a code into the login page's link form, as a person would, and sends it. */
async function typeCode(page: Page, code: string): Promise<void> {
  if (!(await page.locator("#link-code").isVisible())) {
    await page.getByTestId("link-this-device").click();
  }
  await page.locator("#link-code").fill(`${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase());
  await page.getByTestId("link-submit").click();
}

test.describe("a laptop and a phone", () => {
  let server: OwnServer;
  test.beforeAll(async () => {
    server = await OwnServer.start();
  });
  test.afterAll(async () => server?.dispose());

  test("the phone linked by the laptop's code is the same person, until the laptop ends it", async ({ browser }) => {
    const ann = await person(browser, "Ann", "fox", server.url);
    const kai = await person(browser, "Kai", "owl", server.url);
    await kai.page.getByTestId("user-Ann").click();
    await send(kai.page, "a secret for Ann");
    await expect(ann.page.getByTestId("user-Kai").locator(".badge")).toHaveText("1");

    // On the phone, Ann's name is hers already: the refusal says how to link instead.
    const mobile = await phone(browser, server.url);
    await expect(mobile.locator("form.login-card button[type=submit]")).toBeEnabled();
    await mobile.locator("#nickname").fill("ann");
    await mobile.locator("#nickname").press("Enter");
    await expect(mobile.locator("#nickname-error")).toContainText("link this device");

    // The laptop shows a code and a QR code of its link; the phone types the code.
    const code = await offerCode(ann.page);
    await expect(ann.page.getByTestId("link-qr")).toHaveAttribute("data-link", `${server.url}/#link=${code}`);
    await typeCode(mobile, code);
    await expect(mobile.getByTestId("link-waiting")).toContainText("Ann");

    // The laptop is asked, with the phone named, and allows it.
    const request = ann.page.getByTestId("link-request");
    await expect(request).toContainText("Chrome on Android");
    await request.getByTestId("link-allow").click();
    await expect(request).toHaveCount(0);

    // The phone is Ann, with her private conversation and its unread count.
    await expect(mobile).toHaveURL(/\/chat$/);
    await expect(mobile.getByTestId("me")).toHaveText("Ann");
    await expect(mobile.getByTestId("user-Kai").locator(".badge")).toHaveText("1");
    await mobile.getByTestId("user-Kai").click();
    await expect(message(mobile, "a secret for Ann")).toHaveCount(1);
    // Two devices are one person online.
    for (const page of [ann.page, kai.page, mobile]) {
      await expect(page.getByTestId("online-count")).toHaveText("2 online");
    }
    // A reload keeps the phone signed in, in a session of its own.
    await mobile.reload();
    await expect(mobile.getByTestId("me")).toHaveText("Ann");

    // The laptop's device list: both, this one marked.
    const listed = ann.page.getByTestId("device");
    await expect(listed).toHaveCount(2);
    await expect(ann.page.locator('[data-testid=device][data-current=true]')).toContainText("This device");
    const other = ann.page.locator('[data-testid=device][data-current=false]');
    await expect(other).toContainText("Chrome on Android");
    // Ending the phone's session sends the phone back to the login page at once.
    const ended = Date.now();
    await other.getByTestId("end-device").click();
    // Waiting on the navigation itself (an expect polls, and would add its own delay).
    await mobile.waitForURL(/\/$/, { timeout: 5_000 });
    const took = Date.now() - ended;
    console.log(`the phone was on the login page ${took} ms after "End session"`);
    // "Within a second" is the aim (157–477 ms measured here); the margin is for a busy CI machine.
    expect(took).toBeLessThan(1_500);
    await expect(listed).toHaveCount(1);
    // The laptop stays; Ann is still online there.
    await expect(kai.page.getByTestId("online-count")).toHaveText("2 online");
    await expect(ann.page.getByTestId("me")).toHaveText("Ann");

    for (const page of [ann.page, kai.page, mobile]) await page.context().close();
  });
});

test.describe("codes that do not link", () => {
  let server: OwnServer;
  test.beforeAll(async () => {
    // Codes valid for 8 s, so that one expires within the test.
    server = await OwnServer.start({ CHAT_LINK_CODE_SECS: "8" });
  });
  test.afterAll(async () => server?.dispose());

  test("a wrong, a used and an expired code are refused in plain words", async ({ browser }) => {
    const lea = await person(browser, "Lea", "cat", server.url);

    // A mistyped code.
    const stranger = await phone(browser, server.url);
    await typeCode(stranger, "ZZZZ2222");
    await expect(stranger.locator("#link-code-error")).toHaveText(
      "There is no such code. Check it against your other device.",
    );
    // The browser's own check: not even the shape of a code.
    await stranger.locator("#link-code").fill("abc");
    await stranger.getByTestId("link-submit").click();
    await expect(stranger.locator("#link-code-error")).toContainText("no such code");

    // A code used once, opened again from its link (the QR code's address).
    const code = await offerCode(lea.page);
    const first = await phone(browser, server.url);
    await typeCode(first, code);
    await expect(first.getByTestId("link-waiting")).toBeVisible();
    await lea.page.getByTestId("link-request").getByTestId("link-refuse").click();
    await expect(first.locator("#link-code-error")).toHaveText("Your other device did not allow this one.");
    const second = await phone(browser, server.url, `/#link=${code}`);
    await expect(second.locator("#link-code-error")).toHaveText(
      "This code was used already. Make a new one on your other device.",
    );
    // The address no longer shows the code.
    expect(new URL(second.url()).hash).toBe("");

    // A code past its time.
    await lea.page.getByTestId("close-link-offer").click();
    const late = await offerCode(lea.page);
    await lea.page.waitForTimeout(8_500);
    await typeCode(stranger, late);
    await expect(stranger.locator("#link-code-error")).toHaveText(
      "This code has expired. Make a new one on your other device.",
    );
    // Nobody got in: Lea has one device.
    await expect(lea.page.getByTestId("device")).toHaveCount(1);

    for (const page of [lea.page, stranger, first, second]) await page.context().close();
  });
});
