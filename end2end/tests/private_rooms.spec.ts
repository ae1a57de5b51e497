// Private rooms and invite links, in real Chromium against the real server and WASM
// client: the owner makes a room private from its invite panel; another person is not
// shown it and cannot join it by name; the owner's one-use link lets that person in
// (signed in already), and the next person who opens it, signing in on the way, is told
// it no longer works.
import { expect, test, type Page } from "@playwright/test";
import { message, person, send, unique } from "./support";

async function joinByName(page: Page, room: string): Promise<void> {
  await page.locator("#new-room").fill(room);
  await page.locator("#new-room").press("Enter");
}

test("a private room is hidden from others, and its one-use link admits one person", async ({ browser }) => {
  const owner = await person(browser, unique("Oli"), "fox");
  const pat = await person(browser, unique("Pat"), "cat");
  const room = unique("p-");
  await joinByName(owner.page, room);
  await expect(owner.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);

  // Private: marked in the owner's list, gone from (or never in) Pat's.
  await owner.page.getByTestId("open-invites").click();
  await owner.page.getByTestId("private-switch").check();
  await expect(owner.page.getByTestId(`room-${room}`).getByTestId("room-private")).toBeVisible();
  await expect(pat.page.getByTestId(`room-${room}`)).toHaveCount(0);
  await joinByName(pat.page, room);
  await expect(pat.page.getByTestId("notice")).toContainText(/private room needs an invite/i);

  // A link for one person (the default), for a day.
  await owner.page.getByTestId("create-invite").click();
  const link = await owner.page.getByTestId("invite-link").first().inputValue();
  expect(link).toMatch(/\/#invite=[A-Za-z0-9_-]{22}$/);
  await expect(owner.page.getByTestId("invite-used").first()).toContainText("0");

  // Pat opens it: in the room, and what Pat writes reaches the owner.
  await pat.page.goto(link);
  await expect(pat.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  await expect(pat.page.getByTestId(`room-${room}`).getByTestId("room-private")).toBeVisible();
  await send(pat.page, "in through the link");
  await expect(message(owner.page, "in through the link")).toBeVisible();

  // Someone new opens the used link: asked to sign in first, then told it is used up.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await expect(page.getByTestId("invite-pending")).toBeVisible();
  await expect(page.locator("form.login-card button[type=submit]")).toBeEnabled();
  await page.locator("#nickname").fill(unique("Wes"));
  await page.locator("#nickname").press("Enter");
  await expect(page.getByTestId("notice")).toContainText(/expired, been used up or been revoked/i);
  await expect(page.getByTestId(`room-${room}`)).toHaveCount(0);
  await context.close();
});
