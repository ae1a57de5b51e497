// An axe-core scan (WCAG 2.1 A and AA rules) of every page and panel, in the light
// and the dark theme, on a desktop and a phone, in English and in 简体中文: no
// violation at all. Fields are found by id and test id, not by their words.
import { expect, test, type Page } from "@playwright/test";
import { login, send, unique, violations, virtualAuthenticator } from "./support";

for (const locale of ["en-US", "zh-CN"]) {
  for (const colorScheme of ["light", "dark"] as const) {
    for (const width of [1280, 375]) {
      test(`no WCAG 2.1 A/AA violations, ${locale}, ${colorScheme}, ${width} px`, async ({ browser }) => {
        const context = await browser.newContext({ locale, colorScheme, viewport: { width, height: 800 } });
        const page = await context.newPage();

        await page.goto("/");
        await expect(page.locator("form.login-card button[type=submit]")).toBeEnabled();
        await expect(page.locator("html")).toHaveAttribute("lang", locale === "en-US" ? "en" : locale);
        expect(await violations(page), "login page").toEqual([]);
        // The form that links this device to an account on another one, with a refusal.
        await page.getByTestId("link-this-device").click();
        await page.locator("#link-code").fill("no");
        await page.getByTestId("link-submit").click();
        await expect(page.locator("#link-code-error")).not.toBeEmpty();
        expect(await violations(page), "linking this device").toEqual([]);

        const name = unique("Axe");
        await login(page, name);
        // A room of its own: what other tests write in general does not move its rows.
        const room = unique("axe-");
        if (width < 720) await page.getByTestId("sidebar-toggle").click();
        await page.locator("#new-room").fill(room);
        await page.locator("#new-room").press("Enter");
        await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
        // A conversation with something in it: own and other messages, a reply, a
        // reaction, a mention, formatting.
        await send(page, "**hello** and `code` https://example.org");
        const row = page.getByTestId("message").last();
        await row.hover();
        await row.getByTestId("react").click();
        await page.getByTestId("reaction-picker").getByRole("button", { name: "🎉" }).click();
        await expect(row.getByTestId("reaction")).toBeVisible();
        await row.hover();
        await row.getByTestId("reply").click();
        await send(page, "a reply");
        expect(await violations(page), "chat page").toEqual([]);

        await page.getByTestId("open-search").click();
        await page.getByTestId("search-input").fill("hello");
        await page.getByTestId("search-input").press("Enter");
        await expect(page.getByTestId("search-results")).toBeVisible();
        expect(await violations(page), "search").toEqual([]);

        await page.getByTestId("open-settings").click();
        await expect(page.getByTestId("settings-panel")).toBeVisible();
        await expect(page.getByTestId("device")).toHaveCount(1);
        expect(await violations(page), "settings").toEqual([]);
        // A code for a new device, with its QR code.
        await page.getByTestId("add-device").click();
        await expect(page.getByTestId("link-qr")).toBeVisible();
        expect(await violations(page), "a code for a new device").toEqual([]);
        await page.getByTestId("close-link-offer").click();

        if (width < 720) {
          await page.getByTestId("sidebar-toggle").click();
          await expect(page.getByTestId("logout")).toBeInViewport();
          expect(await violations(page), "open drawer").toEqual([]);
        }
        await context.close();
      });
    }
  }
}

// Passkeys are offered at localhost only (browsers take no IP address for them): the
// login page's button and the Settings section with a passkey in it, there.
for (const locale of ["en-US", "zh-CN"]) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`no WCAG 2.1 A/AA violations with passkeys, ${locale}, ${colorScheme}`, async ({ browser, baseURL }) => {
      const local = (baseURL ?? "http://127.0.0.1:3000").replace("127.0.0.1", "localhost");
      const context = await browser.newContext({ baseURL: local, locale, colorScheme });
      const page = await context.newPage();
      await virtualAuthenticator(page);
      await page.goto("/");
      await expect(page.getByTestId("passkey-sign-in")).toBeEnabled();
      expect(await violations(page), "login page with passkeys").toEqual([]);
      await login(page, unique("Key"));
      await page.getByTestId("open-settings").click();
      await page.getByTestId("add-passkey").click();
      await expect(page.getByTestId("passkey")).toHaveCount(1);
      expect(await violations(page), "settings with a passkey").toEqual([]);
      await context.close();
    });
  }
}

// Moderation: the menu on a member's message, the moderation log, what a timed-out
// member sees instead of the composer, the invite links of a private room, reports, and blocking.
for (const locale of ["en-US", "zh-CN"]) {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`no WCAG 2.1 A/AA violations in moderation, ${locale}, ${colorScheme}`, async ({ browser }) => {
      const contexts = await Promise.all(
        [0, 1].map(() => browser.newContext({ locale, colorScheme, viewport: { width: 1280, height: 800 } })),
      );
      const [owner, member] = await Promise.all(contexts.map((c) => c.newPage()));
      const memberName = unique("Mem");
      await login(owner, unique("Own"));
      await login(member, memberName);
      const room = unique("axe-");
      for (const page of [owner, member]) {
        await page.locator("#new-room").fill(room);
        await page.locator("#new-room").press("Enter");
        await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
      }
      await send(member, "a message to moderate");
      const row = owner.getByTestId("message").filter({ hasText: "a message to moderate" });
      await row.hover();
      await row.getByTestId("moderate").click();
      await expect(row.getByTestId("moderation-menu")).toBeVisible();
      expect(await violations(owner), "moderation menu").toEqual([]);
      await row.getByTestId("timeout").click();
      await expect(member.getByTestId("timed-out")).toBeVisible();
      expect(await violations(member), "timed out").toEqual([]);
      await owner.getByTestId("open-audit").click();
      await expect(owner.getByTestId("audit-entry")).toHaveCount(1);
      expect(await violations(owner), "moderation log").toEqual([]);
      // The invite links and the private switch, with a live link listed.
      await owner.getByTestId("open-invites").click();
      await owner.getByTestId("private-switch").check();
      await owner.getByTestId("create-invite").click();
      await expect(owner.getByTestId("invite")).toHaveCount(1);
      expect(await violations(owner), "invite links").toEqual([]);
      // A report: its form on the message, and the reports panel listing it.
      await row.hover();
      await row.getByTestId("report-message").dispatchEvent("click");
      await expect(row.getByTestId("report-form")).toBeVisible();
      expect(await violations(owner), "report form").toEqual([]);
      await row.getByTestId("report-send").dispatchEvent("click");
      await expect(row.getByTestId("reported")).toBeVisible();
      await owner.getByTestId("open-reports").click();
      await expect(owner.getByTestId("report")).toHaveCount(1);
      expect(await violations(owner), "reports").toEqual([]);
      await owner.getByTestId("close-reports").click();
      // Blocking the member: the question, the list in Settings, the closed private
      // conversation (opened before the block).
      await owner.getByTestId(`user-${memberName}`).click();
      await expect(owner.getByTestId("composer")).toBeVisible();
      await owner.getByTestId(`room-${room}`).click();
      await expect(owner.getByTestId("conversation-title")).toHaveText(`# ${room}`);
      await row.hover();
      await row.getByTestId("block-author").dispatchEvent("click");
      await expect(row.getByTestId("confirm-block")).toBeVisible();
      expect(await violations(owner), "block question").toEqual([]);
      await row.getByTestId("confirm-block-yes").dispatchEvent("click");
      await owner.getByTestId("open-settings").click();
      await expect(owner.getByTestId("blocked-person")).toHaveCount(1);
      expect(await violations(owner), "blocked people").toEqual([]);
      await owner.getByTestId("close-settings").click();
      await owner.getByTestId(`user-${memberName}`).click();
      await expect(owner.getByTestId("blocked-note")).toBeVisible();
      expect(await violations(owner), "a blocked person's conversation").toEqual([]);
      for (const c of contexts) await c.close();
    });
  }
}
