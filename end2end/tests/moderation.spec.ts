// Keeping a room clean, in real Chromium against the real server and WASM client, with
// four people: the room's owner appoints a moderator; the moderator removes a member's
// message (a third person sees "removed by a moderator" live and after a reload), times
// the member out (their composer says so), kicks and bans them (a banned member cannot
// rejoin from the UI); nobody is offered actions on the owner; the owner reads it all in
// the moderation log.
import { expect, test, type Locator, type Page } from "@playwright/test";
import { message, person, send, unique } from "./support";

async function joinRoom(page: Page, room: string): Promise<void> {
  await page.getByPlaceholder("join or create a room").fill(room);
  await page.getByPlaceholder("join or create a room").press("Enter");
  await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
}

/** Presses a button of the moderation menu. The menu sits in a message list that keeps
 * to its newest message as lines arrive, so a pointer click can land beside it while the
 * list scrolls: the click goes to the button itself. */
async function press(button: Locator): Promise<void> {
  await expect(button).toBeVisible();
  await button.dispatchEvent("click");
}

/** Opens the moderation menu on the row of `text`. */
async function moderate(page: Page, text: string) {
  const row = message(page, text);
  await row.hover();
  await press(row.getByTestId("moderate"));
  return row.getByTestId("moderation-menu");
}

test("an owner appoints a moderator, who removes, times out, kicks and bans a member, never the owner", async ({
  browser,
}) => {
  const [o, m, p, w] = [unique("Oli"), unique("Meg"), unique("Pat"), unique("Wes")];
  const owner = await person(browser, o, "fox");
  const mod = await person(browser, m, "owl");
  const pat = await person(browser, p, "cat");
  const wes = await person(browser, w, "frog");
  const room = unique("r-");
  // The first to join creates the room, and owns it.
  for (const page of [owner.page, mod.page, pat.page, wes.page]) {
    await joinRoom(page, room);
  }
  await send(owner.page, "welcome, all");
  await send(mod.page, "hello from meg");
  // A member is offered no moderation at all.
  const others = message(pat.page, "hello from meg");
  await others.hover();
  await expect(others.getByTestId("reply")).toBeVisible();
  await expect(others.getByTestId("moderate")).toHaveCount(0);
  await expect(others.getByTestId("remove-message")).toHaveCount(0);
  await expect(pat.page.getByTestId("open-audit")).toHaveCount(0);

  // The owner makes Meg a moderator.
  const menu = await moderate(owner.page, "hello from meg");
  await press(menu.getByTestId("make-moderator"));
  await expect(mod.page.getByTestId("open-audit")).toBeVisible();

  // Meg removes Pat's spam: Wes sees it removed at once, and after a reload.
  await send(pat.page, "buy cheap watches");
  const spam = message(mod.page, "buy cheap watches");
  await spam.hover();
  await spam.getByTestId("remove-message").click();
  await mod.page.getByTestId("confirm-delete-yes").click();
  await expect(wes.page.getByTestId("removed")).toHaveText("removed by a moderator");
  await expect(message(wes.page, "buy cheap watches")).toHaveCount(0);
  await wes.page.reload();
  await expect(wes.page.getByTestId("removed")).toHaveText("removed by a moderator");
  await expect(message(wes.page, "buy cheap watches")).toHaveCount(0);

  // Meg is offered nothing on the owner's message.
  const owners = message(mod.page, "welcome, all");
  await owners.hover();
  await expect(owners.getByTestId("reply")).toBeVisible();
  await expect(owners.getByTestId("moderate")).toHaveCount(0);
  await expect(owners.getByTestId("remove-message")).toHaveCount(0);

  // A timeout: Pat's composer gives way to when he may write again.
  await send(pat.page, "one more thing");
  const timeout = await moderate(mod.page, "one more thing");
  await timeout.getByTestId("timeout-for").selectOption("3600");
  await press(timeout.getByTestId("timeout"));
  await expect(pat.page.getByTestId("timed-out")).toBeVisible();
  await expect(pat.page.getByTestId("composer")).toHaveCount(0);

  // A kick: Pat is told, and may come back (still timed out).
  const kick = await moderate(mod.page, "one more thing");
  await press(kick.getByTestId("kick"));
  await expect(pat.page.getByTestId("removed-notice")).toContainText(room);
  await expect(wes.page.getByTestId("system-line").last()).toContainText("removed from the room");
  await joinRoom(pat.page, room);
  await expect(pat.page.getByTestId("timed-out")).toBeVisible();

  // A ban: Pat is told, and cannot come back from the UI.
  const ban = await moderate(mod.page, "one more thing");
  await press(ban.getByTestId("ban"));
  await expect(pat.page.getByTestId("removed-notice")).toContainText("banned");
  await expect(wes.page.getByTestId("system-line").last()).toContainText("banned");
  await pat.page.getByPlaceholder("join or create a room").fill(room);
  await pat.page.getByPlaceholder("join or create a room").press("Enter");
  await expect(pat.page.getByTestId("notice")).toContainText("You are banned from this room.");
  await expect(pat.page.getByTestId("composer")).toHaveCount(0);

  // The owner reads what happened, newest first.
  await owner.page.getByTestId("open-audit").click();
  const entries = owner.page.getByTestId("audit-entry");
  await expect(entries).toHaveCount(5);
  await expect(entries.first()).toContainText(`${m} banned ${p}`);
  await expect(entries.last()).toContainText(`${o} made ${m} a moderator`);
  await expect(entries.nth(3)).toContainText(`${m} removed a message of ${p}`);

  for (const c of [owner, mod, pat, wes]) {
    await c.context.close();
  }
});

test("a moderator's slow mode holds a member's next message until the wait is over, never the moderator's", async ({
  browser,
}) => {
  const [o, p] = [unique("Oli"), unique("Pat")];
  const owner = await person(browser, o, "fox");
  const pat = await person(browser, p, "cat");
  const room = unique("slow-");
  for (const page of [owner.page, pat.page]) await joinRoom(page, room);

  // The owner sets it from the moderation panel; Pat's composer says so at once.
  await owner.page.getByTestId("open-audit").click();
  await owner.page.getByTestId("slow-mode-select").selectOption("5");
  await expect(pat.page.getByTestId("slow-mode-on")).toHaveText("Slow mode: one message every 5 s");
  await expect(owner.page.getByTestId("audit-entry").first()).toContainText(
    `${o} set slow mode to one message every 5 s`,
  );
  await expect(owner.page.getByTestId("slow-mode-on")).toHaveCount(0);

  // Pat writes twice: the first goes, the second waits for the server's word, then goes.
  await owner.page.getByTestId("close-audit").click();
  await send(pat.page, "first of two");
  await send(pat.page, "second of two");
  await expect(message(owner.page, "first of two")).toHaveCount(1);
  await expect(pat.page.getByTestId("pending").filter({ hasText: "second of two" })).toHaveCount(1);
  await owner.page.waitForTimeout(1_500);
  await expect(message(owner.page, "second of two")).toHaveCount(0);
  await expect(message(owner.page, "second of two")).toHaveCount(1, { timeout: 15_000 });
  await expect(message(pat.page, "second of two")).toHaveCount(1);
  await expect(pat.page.getByTestId("pending")).toHaveCount(0);

  // The owner is not held.
  for (const text of ["one", "two", "three"]) await send(owner.page, `owner says ${text}`);
  for (const text of ["one", "two", "three"]) {
    await expect(message(pat.page, `owner says ${text}`)).toHaveCount(1);
  }

  // Off again: the notice goes.
  await owner.page.getByTestId("open-audit").click();
  await owner.page.getByTestId("slow-mode-select").selectOption("0");
  await expect(pat.page.getByTestId("slow-mode-on")).toHaveCount(0);

  for (const c of [owner, pat]) await c.context.close();
});
