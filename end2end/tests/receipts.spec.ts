// Read receipts in real Chromium: "Seen" in a private conversation once the other
// person had it on screen in a visible tab (a hidden page does not read), "Read by k"
// with who in a room, and a setting not to share them.
import { expect, test, type Page } from "@playwright/test";
import { message, person, send, unique } from "./support";

/** Makes the page look hidden (or visible again) to the app, as a tab in the background. */
async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hidden) => {
    Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
    Object.defineProperty(document, "visibilityState", {
      value: hidden ? "hidden" : "visible",
      configurable: true,
    });
    // As the browser fires it: at the document, bubbling to the window.
    document.dispatchEvent(new Event("visibilitychange", { bubbles: true }));
  }, hidden);
}

test("a private message is seen only once it was on screen in a visible tab", async ({ browser }) => {
  const [a, b] = [unique("Pia"), unique("Ole")];
  const pia = await person(browser, a, "fox");
  const ole = await person(browser, b, "owl");
  await pia.page.getByTestId(`user-${b}`).click();
  await ole.page.getByTestId(`user-${a}`).click();
  await expect(ole.page.getByTestId("conversation-title")).toHaveText(a);

  // Ole's tab is in the background: the message arrives in the open conversation, unread.
  await setHidden(ole.page, true);
  await send(pia.page, "are you there?");
  await expect(message(ole.page, "are you there?")).toHaveCount(1);
  await pia.page.waitForTimeout(2_500);
  await expect(pia.page.getByTestId("receipt")).toHaveCount(0);

  // Back in front: read, and Pia sees it under her message, with the time.
  await setHidden(ole.page, false);
  const receipt = pia.page.getByTestId("receipt");
  await expect(receipt).toHaveText(/^Seen \d{1,2}:\d{2}/);
  await expect(receipt).toHaveAttribute("title", b);

  // It stays after a reload (from the server's snapshot).
  await pia.page.reload();
  await expect(pia.page.getByTestId("receipt")).toHaveText(/^Seen/);

  for (const p of [pia, ole]) await p.context.close();
});

test("a room shows who read, and who does not share is not shown", async ({ browser }) => {
  const [a, b, c] = [unique("Ida"), unique("Jon"), unique("Kim")];
  const room = unique("rr-");
  const people = [await person(browser, a, "fox"), await person(browser, b, "owl"), await person(browser, c, "cat")];
  for (const { page } of people) {
    await page.getByPlaceholder("join or create a room").fill(room);
    await page.getByPlaceholder("join or create a room").press("Enter");
    await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  }
  const [ida, jon, kim] = people;

  await send(ida.page, "lunch at noon?");
  const receipt = ida.page.getByTestId("receipt");
  await expect(receipt).toHaveText("Read by 2");
  await expect(receipt).toHaveAttribute("title", [b, c].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase())).join(", "));

  // Kim stops sharing: her reading is no longer told, and she sees nobody's.
  await kim.page.getByTestId("open-settings").click();
  const share = kim.page.getByTestId("receipts-switch");
  await expect(share).toBeChecked();
  await share.uncheck();
  await expect(share).not.toBeChecked();
  await send(kim.page, "I'd rather not say");
  await expect(kim.page.getByTestId("receipt")).toHaveCount(0);
  await send(ida.page, "and dinner?");
  await expect(message(jon.page, "and dinner?")).toHaveCount(1);
  await expect(message(kim.page, "and dinner?")).toHaveCount(1);
  await expect(ida.page.getByTestId("receipt")).toHaveText("Read by 1");
  await expect(ida.page.getByTestId("receipt")).toHaveAttribute("title", b);

  for (const p of people) await p.context.close();
});
