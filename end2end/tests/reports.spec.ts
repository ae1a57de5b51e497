// Reports, in real Chromium against the real server and WASM client: a member reports
// another's message with a reason; the room's owner is told a report came in, reads it
// (which message, why, by whom) in the reports panel and marks it handled.
import { expect, test, type Page } from "@playwright/test";
import { message, person, send, unique } from "./support";

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
  const row = message(wes.page, "buy cheap stuff here");
  await expect(row).toBeVisible();
  // The actions opened with ⋯ (they stay while the reason is typed).
  await row.getByTestId("more").dispatchEvent("click");
  await row.getByTestId("report-message").dispatchEvent("click");
  await row.getByTestId("report-reason").fill("spam, again");
  await row.getByTestId("report-send").dispatchEvent("click");
  await expect(row.getByTestId("reported")).toBeVisible();

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
