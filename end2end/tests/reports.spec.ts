// Reports, in real Chromium against the real server and WASM client: a member reports
// another's message with a reason; the room's owner is told a report came in, reads it
// (which message, why, by whom) in the reports panel and marks it handled. An instance
// admin named by the operator while online gets the list of every room's reports,
// rooms they are not in too.
import { expect, test, type Page } from "@playwright/test";
import { message, OwnServer, person, send, unique, violations } from "./support";

async function reportMessage(page: Page, text: string, reason: string): Promise<void> {
  const row = message(page, text);
  await expect(row).toBeVisible();
  // The actions opened with ⋯ (they stay while the reason is typed).
  await row.getByTestId("more").dispatchEvent("click");
  await row.getByTestId("report-message").dispatchEvent("click");
  await row.getByTestId("report-reason").fill(reason);
  await row.getByTestId("report-send").dispatchEvent("click");
  await expect(row.getByTestId("reported")).toBeVisible();
}

async function joinRoom(page: Page, room: string): Promise<void> {
  await page.locator("#new-room").fill(room);
  await page.locator("#new-room").press("Enter");
  await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
}

test("a report reaches the room's moderators, who mark it handled", async ({ browser }) => {
  const [o, p, w] = [unique("Oli"), unique("Pat"), unique("Wes")];
  const owner = await person(browser, o, "fox");
  const pat = await person(browser, p, "cat");
  const wes = await person(browser, w, "owl");
  const room = unique("r-");
  for (const who of [owner, pat, wes]) await joinRoom(who.page, room);

  await send(pat.page, "buy cheap stuff here");
  await reportMessage(wes.page, "buy cheap stuff here", "spam, again");

  // The owner is told one came in, and reads it.
  await expect(owner.page.getByTestId("unseen-reports")).toBeVisible();
  await owner.page.getByTestId("open-reports").click();
  await expect(owner.page.getByTestId("unseen-reports")).toHaveCount(0);
  const report = owner.page.getByTestId("report");
  await expect(report).toHaveCount(1);
  await expect(report.getByTestId("report-snippet")).toHaveText("buy cheap stuff here");
  await expect(report.getByTestId("report-reason-shown")).toHaveText("spam, again");
  await expect(report).toContainText(w);
  await expect(report).toContainText(p);

  // Handled: gone from the list (and not listed again when it is opened anew).
  await report.getByTestId("handle-report").click();
  await expect(owner.page.getByTestId("reports-empty")).toBeVisible();
  await owner.page.getByTestId("close-reports").click();
  await owner.page.getByTestId("open-reports").click();
  await expect(owner.page.getByTestId("reports-empty")).toBeVisible();
  // A member is offered no reports panel.
  await expect(wes.page.getByTestId("open-reports")).toHaveCount(0);
  for (const who of [owner, pat, wes]) await who.context.close();
});

test("an instance admin lists and handles the reports of every room, rooms they are not in too", async ({
  browser,
}) => {
  // Its own server: the operator's command names the admin in its database.
  const server = await OwnServer.start();
  try {
    const [z, p, w] = [unique("Zed"), unique("Pat"), unique("Wes")];
    const zed = await person(browser, z, "whale", server.url);
    const pat = await person(browser, p, "cat", server.url);
    const wes = await person(browser, w, "owl", server.url);
    await expect(zed.page.getByTestId("open-all-reports")).toHaveCount(0);
    expect(server.admin("grant", z)).toContain(z);
    // Told while online: the list of every room is offered without a reload.
    await expect(zed.page.getByTestId("open-all-reports")).toBeVisible({ timeout: 20_000 });

    const room = unique("r-");
    for (const who of [pat, wes]) await joinRoom(who.page, room);
    await send(pat.page, "cheap watches, DM me");
    await reportMessage(wes.page, "cheap watches, DM me", "spam");
    await expect(zed.page.getByTestId("unseen-reports-anywhere")).toBeVisible();

    await zed.page.getByTestId("open-all-reports").click();
    await expect(zed.page.getByTestId("unseen-reports-anywhere")).toHaveCount(0);
    const listed = zed.page.getByTestId("report");
    await expect(listed).toHaveCount(1);
    await expect(listed.getByTestId("report-room")).toHaveText(`# ${room}`);
    await expect(listed.getByTestId("report-snippet")).toHaveText("cheap watches, DM me");
    await expect(listed).toContainText(p);
    await expect(listed).toContainText(w);
    expect(await violations(zed.page), "every room's reports").toEqual([]);
    // Handled: gone, and not listed when opened anew.
    await listed.getByTestId("handle-report").click();
    await expect(zed.page.getByTestId("reports-empty")).toBeVisible();
    await zed.page.getByTestId("open-all-reports").click();
    await zed.page.getByTestId("open-all-reports").click();
    await expect(zed.page.getByTestId("reports-empty")).toBeVisible();
    // Nobody else is offered it.
    await expect(wes.page.getByTestId("open-all-reports")).toHaveCount(0);
    for (const who of [zed, pat, wes]) await who.context.close();
  } finally {
    await server.dispose();
  }
});
