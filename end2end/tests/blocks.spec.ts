// Blocking a person, in real Chromium against the real server and WASM client, with
// three people in a room: Ann blocks Bob from one of his messages; what she had of him
// goes, what he writes next never shows for her (it does for Cat), also after a
// reload; he cannot write to her privately; she unblocks him in Settings and his
// messages are back.
import { expect, test, type Page } from "@playwright/test";
import { message, person, send, unique } from "./support";

async function joinRoom(page: Page, room: string): Promise<void> {
  await page.locator("#new-room").fill(room);
  await page.locator("#new-room").press("Enter");
  await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
}

test("blocking hides a person's messages and refuses their private messages, until unblocked", async ({
  browser,
}) => {
  const [a, b, c] = [unique("Ann"), unique("Bob"), unique("Cat")];
  const ann = await person(browser, a, "fox");
  const bob = await person(browser, b, "cat");
  const cat = await person(browser, c, "owl");
  const room = unique("b-");
  for (const p of [ann, bob, cat]) await joinRoom(p.page, room);

  // Bob's reaction to Cat's message, counted for Ann until she blocks him.
  await send(cat.page, "cat was first");
  const cats = message(bob.page, "cat was first");
  await cats.hover();
  await cats.getByTestId("react").dispatchEvent("click");
  await bob.page.getByRole("button", { name: "React with 👍" }).dispatchEvent("click");
  await expect(message(ann.page, "cat was first").getByTestId("reaction")).toHaveText("👍 1");

  await send(bob.page, "spam one");
  const row = message(ann.page, "spam one");
  await expect(row).toBeVisible();
  await row.hover();
  await row.getByTestId("block-author").dispatchEvent("click");
  await row.getByTestId("confirm-block-yes").dispatchEvent("click");
  // Gone at once, with no placeholder (his reaction too); Cat still has it.
  await expect(message(ann.page, "spam one")).toHaveCount(0);
  await expect(message(ann.page, "cat was first").getByTestId("reaction")).toHaveCount(0);
  await expect(message(cat.page, "cat was first").getByTestId("reaction")).toHaveText("👍 1");
  await expect(message(cat.page, "spam one")).toBeVisible();

  await send(bob.page, "spam two");
  await send(cat.page, "cat is here");
  await expect(message(cat.page, "spam two")).toBeVisible();
  await expect(message(ann.page, "cat is here")).toBeVisible();
  await expect(message(ann.page, "spam two")).toHaveCount(0);

  // Cat answers Bob: Ann gets the answer, not what it quotes.
  const spam = message(cat.page, "spam two");
  await spam.hover();
  await spam.getByTestId("reply").dispatchEvent("click");
  await send(cat.page, "no thanks");
  const answer = message(ann.page, "no thanks");
  await expect(answer.getByTestId("quote")).toContainText("a message of someone you block");
  await expect(answer.getByTestId("quote")).not.toContainText("spam two");
  await expect(answer.getByTestId("quote")).not.toContainText(b);

  // Bob cannot write to Ann privately (and is not told she blocked him).
  await bob.page.getByTestId(`user-${a}`).click();
  await expect(bob.page.getByTestId("notice")).toContainText(/No private messages can pass/i);

  // After a reload, still nothing of Bob's; Settings lists him.
  await ann.page.reload();
  await expect(ann.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  await expect(message(ann.page, "cat is here")).toBeVisible();
  await expect(message(ann.page, "spam two")).toHaveCount(0);
  await expect(message(ann.page, "cat was first").getByTestId("reaction")).toHaveCount(0);
  await expect(message(ann.page, "no thanks").getByTestId("quote")).not.toContainText("spam two");
  await ann.page.getByTestId("open-settings").click();
  const listed = ann.page.getByTestId("blocked-person");
  await expect(listed).toHaveCount(1);
  await expect(listed).toContainText(b);

  // Unblocked: his messages are back, old and new.
  await listed.getByTestId("unblock").click();
  await expect(ann.page.getByTestId("blocked-person")).toHaveCount(0);
  await ann.page.getByTestId("close-settings").click();
  await bob.page.getByTestId(`room-${room}`).click();
  await expect(bob.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  await send(bob.page, "friends again");
  await expect(message(ann.page, "friends again")).toBeVisible();
  await expect(message(ann.page, "spam two")).toBeVisible();
  for (const p of [ann, bob, cat]) await p.context.close();
});
