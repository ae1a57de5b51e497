// What people expect of a chat today, in real Chromium against the real server and
// the real WASM client, with several people (browser contexts) at once.
import { expect, test, type Page } from "@playwright/test";
import { login, message, person, send, unique } from "./support";

/** A room of its own for a test, joined by everyone given, open in each page. */
async function shareRoom(pages: Page[]): Promise<string> {
  const room = unique("r-");
  for (const page of pages) {
    await page.getByPlaceholder("join or create a room").fill(room);
    await page.getByPlaceholder("join or create a room").press("Enter");
    await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  }
  return room;
}

test("reply, edit, react and delete reach the other person at once", async ({ browser }) => {
  const [a, b] = [unique("Rae"), unique("Sol")];
  const rae = await person(browser, a, "fox");
  const sol = await person(browser, b, "owl");
  await shareRoom([rae.page, sol.page]);

  await send(rae.page, "helo everyone");
  const original = message(sol.page, "helo everyone");
  await expect(original).toHaveCount(1);

  // Sol replies: the reply quotes the original for both.
  await original.hover();
  await original.getByTestId("reply").click();
  await expect(sol.page.getByTestId("replying-to")).toContainText(a);
  await send(sol.page, "hi Rae");
  const reply = message(rae.page, "hi Rae");
  await expect(reply.getByTestId("quote")).toContainText("helo everyone");

  // Rae fixes her typo: both see the new text, marked edited.
  const mine = message(rae.page, "helo everyone");
  await mine.hover();
  await mine.getByTestId("edit").click();
  await expect(rae.page.getByTestId("composer")).toHaveValue("helo everyone");
  await rae.page.getByTestId("composer").fill("hello everyone");
  await rae.page.getByTestId("composer").press("Enter");
  const edited = message(sol.page, "hello everyone");
  await expect(edited.getByTestId("edited")).toBeVisible();
  await expect(message(sol.page, "helo everyone")).toHaveCount(0);
  // The quote follows the message it quotes after a reload.
  await rae.page.reload();
  await expect(message(rae.page, "hi Rae").getByTestId("quote")).toContainText("hello everyone");

  // Sol reacts; Rae sees the count and who, and adds hers; Sol takes his back.
  await edited.hover();
  await edited.getByTestId("react").click();
  await sol.page.getByRole("button", { name: "React with 👍" }).click();
  const thumbs = message(rae.page, "hello everyone").getByTestId("reaction");
  await expect(thumbs).toHaveText("👍 1");
  await expect(thumbs).toHaveAttribute("title", b);
  await thumbs.click();
  await expect(message(sol.page, "hello everyone").getByTestId("reaction")).toHaveText("👍 2");
  await expect(thumbs).toHaveAttribute("aria-pressed", "true");
  await message(sol.page, "hello everyone").getByTestId("reaction").click();
  await expect(thumbs).toHaveText("👍 1");
  await expect(thumbs).toHaveAttribute("title", a);

  // Rae deletes it: "message deleted" for both, and the reply's quote says so.
  const toDelete = message(rae.page, "hello everyone");
  await toDelete.hover();
  await toDelete.getByTestId("delete").click();
  await rae.page.getByTestId("confirm-delete-yes").click();
  await expect(sol.page.getByText("message deleted").first()).toBeVisible();
  await expect(message(sol.page, "hello everyone")).toHaveCount(0);
  await expect(message(sol.page, "hi Rae").getByTestId("quote")).toContainText("message deleted");

  // Clicking a quote brings the original into view.
  await message(sol.page, "hi Rae").getByTestId("quote").click();
  await expect(sol.page.locator(".message[data-flash]")).toHaveCount(1);

  await rae.context.close();
  await sol.context.close();
});

test("a mention completes with @, is highlighted, counted apart, and notifies a hidden tab", async ({ browser }) => {
  const [a, b] = [unique("Mia"), unique("Ned")];
  const mia = await person(browser, a, "cat");
  const nedContext = await browser.newContext({ permissions: ["notifications"] });
  // Every notification shown is recorded (the browser's own would need a desktop).
  await nedContext.addInitScript(() => {
    const Real = window.Notification;
    const shown: { title: string; body?: string }[] = [];
    (window as unknown as { shown: typeof shown }).shown = shown;
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body });
      }
    }
    Object.defineProperty(window, "Notification", { value: Recorded });
  });
  const ned = await nedContext.newPage();
  await login(ned, b, "bear");
  await shareRoom([mia.page, ned]);

  // Ned turns notifications on (the permission is asked only now).
  await ned.getByTestId("open-settings").click();
  await ned.getByTestId("notify-switch").check();
  await expect(ned.getByTestId("notify-switch")).toBeChecked();
  await ned.getByTestId("close-settings").click();
  // Ned's tab goes to the background.
  await ned.evaluate(() => {
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  });

  // Mia types "@" and the start of Ned's name, and picks him from the list.
  const composer = mia.page.getByTestId("composer");
  await composer.pressSequentially(`look @${b.slice(0, 2)}`);
  await expect(mia.page.getByTestId("mention-suggestions")).toContainText(`@${b}`);
  await composer.press("Enter");
  await expect(composer).toHaveValue(`look @${b} `);
  await composer.pressSequentially("here");
  await composer.press("Enter");

  const mention = message(ned, `look @${b} here`);
  await expect(mention).toHaveClass(/mentioned/);
  await expect.poll(() => ned.evaluate(() => (window as unknown as { shown: { title: string }[] }).shown.length)).toBe(1);
  const [shown] = await ned.evaluate(() => (window as unknown as { shown: { title: string; body: string }[] }).shown);
  expect(shown.title).toContain(a);
  expect(shown.body).toContain("here");
  // Mia's own copy is not highlighted for her.
  await expect(message(mia.page, `look @${b} here`)).not.toHaveClass(/mentioned/);

  // Counted apart: Ned, in another room, sees the unread and the mention in the title.
  await ned.getByTestId("room-general").click();
  await send(mia.page, `@${b} again`);
  await expect(ned).toHaveTitle(/@1/);
  // And beside the room, a badge of its own next to the unread count.
  await expect(ned.getByTestId("mention-badge")).toHaveText("@1");
  await expect(ned.getByTestId("mention-badge")).toHaveAttribute("aria-label", "1 unread message mentions you");

  await mia.context.close();
  await nedContext.close();
});

test("@ offers the room's members, not who wrote there and left", async ({ browser }) => {
  const [a, b, c] = [unique("Zed"), unique("ZedB"), unique("ZedC")];
  const cat = await person(browser, c);
  const room = await shareRoom([cat.page]);
  await send(cat.page, "hello, and goodbye");
  await cat.page.getByRole("button", { name: `Leave #${room}` }).click();
  await expect(cat.page.getByRole("button", { name: `Leave #${room}` })).toHaveCount(0);
  const bob = await person(browser, b, "owl");
  const ann = await person(browser, a, "cat");
  for (const page of [bob.page, ann.page]) {
    await page.getByPlaceholder("join or create a room").fill(room);
    await page.getByPlaceholder("join or create a room").press("Enter");
    await expect(page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  }
  // Cat's text and her join and leave lines are in Ann's page; Bob never wrote.
  await expect(ann.page.getByTestId("message").filter({ hasText: "hello, and goodbye" })).toBeVisible();
  await ann.page.getByTestId("composer").pressSequentially("hi @Zed");
  const suggestions = ann.page.getByTestId("mention-suggestions");
  await expect(suggestions).toContainText(`@${b}`);
  await expect(suggestions).not.toContainText(`@${c}`);
  for (const p of [cat, bob, ann]) await p.context.close();
});

test("formatting shows bold, italic, code and links; anything else stays text", async ({ browser }) => {
  const [a, b] = [unique("Fay"), unique("Gus")];
  const fay = await person(browser, a);
  const gus = await person(browser, b, "owl");
  await shareRoom([fay.page, gus.page]);
  const composer = fay.page.getByTestId("composer");
  await composer.fill("**bold** *it* `x<y` [docs](https://example.org/d) <img src=x onerror=alert(1)> [bad](javascript:alert(1))");
  await composer.press("Enter");
  await composer.fill("```\nfn main() {}\n```");
  await composer.press("Enter");

  const bubble = gus.page.getByTestId("message-text").filter({ hasText: "bold" });
  await expect(bubble.locator("strong")).toHaveText("bold");
  await expect(bubble.locator("em")).toHaveText("it");
  await expect(bubble.locator("code")).toHaveText("x<y");
  await expect(bubble.getByRole("link", { name: "docs" })).toHaveAttribute("href", "https://example.org/d");
  await expect(bubble.locator("img")).toHaveCount(0);
  await expect(bubble).toContainText("<img src=x onerror=alert(1)>");
  await expect(bubble.getByRole("link", { name: "bad" })).toHaveCount(0);
  await expect(gus.page.locator(".bubble pre code")).toHaveText("fn main() {}");

  await fay.context.close();
  await gus.context.close();
});

test("search finds words in one's conversations and opens the message in its place", async ({ browser }) => {
  const [a, b] = [unique("Ida"), unique("Jon")];
  const ida = await person(browser, a);
  const jon = await person(browser, b, "owl");
  const room = await shareRoom([ida.page, jon.page]);
  const word = unique("w");
  await send(ida.page, `the ${word} is on 周五`);
  for (let i = 0; i < 60; i++) await send(ida.page, `filler ${i}`);
  // Jon goes elsewhere and searches.
  await jon.page.getByTestId("room-general").click();
  await jon.page.getByTestId("open-search").click();
  await jon.page.getByTestId("search-input").fill(word);
  await jon.page.getByTestId("search-input").press("Enter");
  const result = jon.page.getByTestId("search-result");
  await expect(result).toHaveCount(1);
  await expect(result).toContainText(`# ${room}`);
  await result.click();
  await expect(jon.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  const found = message(jon.page, `the ${word} is on 周五`);
  await expect(found).toBeInViewport();
  await expect(found).toHaveAttribute("data-flash", "");

  // Chinese inside a sentence; and nothing for a word nobody wrote.
  await jon.page.getByTestId("open-search").click();
  await jon.page.getByTestId("search-input").fill("周五");
  await jon.page.getByTestId("search-input").press("Enter");
  await expect(jon.page.getByTestId("search-result").first()).toContainText(word);
  await jon.page.getByTestId("search-input").fill(unique("none"));
  await jon.page.getByTestId("search-input").press("Enter");
  await expect(jon.page.getByTestId("no-results")).toBeVisible();

  await ida.context.close();
  await jon.context.close();
});

test("logging in is not news: nobody gets an unread count from it", async ({ browser }) => {
  const watcher = await person(browser, unique("Wes"));
  await watcher.page.getByTestId("open-search").click(); // not reading general: counts would show
  const others = [await person(browser, unique("Xan")), await person(browser, unique("Yul"))];
  await watcher.page.waitForTimeout(1_000);
  await expect(watcher.page).toHaveTitle("Chat");
  for (const p of [watcher, ...others]) await p.context.close();
});

test("errors from the server and the offline state are shown in plain words", async ({ browser }) => {
  const { context, page } = await person(browser, unique("Ola"));
  // A private conversation with someone who does not exist: the server says so.
  await page.goto("/chat/dm/987654321");
  await expect(page.getByTestId("notice")).toContainText(/no such user|does not exist|not found/i);
  await page.getByRole("button", { name: "Dismiss" }).click();
  await expect(page.getByTestId("notice")).toHaveCount(0);
  await page.goto("/chat");
  await context.setOffline(true);
  await expect(page.getByTestId("connection-status")).toContainText("You are offline");
  await context.setOffline(false);
  await expect(page.getByTestId("connection-status")).toHaveText("Connected");
  await context.close();
});

for (const width of [375, 1280]) {
  test(`the sidebar and the composer at ${width} px`, async ({ browser }) => {
    const phone = width === 375;
    const context = await browser.newContext({
      viewport: { width, height: 800 },
      ...(phone ? { hasTouch: true, isMobile: true } : {}),
    });
    const page = await context.newPage();
    await login(page, unique("Pia"));
    const toggle = page.getByTestId("sidebar-toggle");
    const logout = page.getByTestId("logout");
    if (phone) {
      // Closed, the drawer takes no Tab stop.
      await page.getByTestId("composer").focus();
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press("Shift+Tab");
        await expect(logout).not.toBeFocused();
      }
      await toggle.click();
      await expect(logout).toBeInViewport();
      await page.keyboard.press("Escape");
      await expect(logout).not.toBeInViewport();
      await expect(toggle).toBeFocused();
      await toggle.click();
      await page.getByTestId("sidebar-close").click();
      await expect(logout).not.toBeInViewport();
      await toggle.click();
      await page.mouse.click(width - 10, 400);
      await expect(logout).not.toBeInViewport();
    } else {
      await expect(toggle).toBeHidden();
      await expect(logout).toBeInViewport();
    }
    // The placeholder fits on one line.
    const composer = page.getByTestId("composer");
    const fits = await composer.evaluate((el) => el.scrollHeight <= el.clientHeight + 2);
    expect(fits).toBe(true);
    // On a touch screen Enter adds a line and the button sends; elsewhere Enter sends.
    const [one, two] = [unique("one"), unique("two")];
    await composer.fill(one);
    await composer.press("Enter");
    if (phone) {
      await expect(composer).toHaveValue(`${one}\n`);
      await composer.pressSequentially(two);
      await page.getByTestId("send").click();
      const sent = page.getByTestId("message-text").filter({ hasText: two });
      await expect(sent).toHaveCount(1);
      expect(await sent.innerText()).toContain(`${one}\n${two}`);
    } else {
      await expect(composer).toHaveValue("");
    }
    // The people list filters.
    if (phone) await toggle.click();
    await page.getByTestId("filter-people").fill("zzzz-nobody");
    await expect(page.locator(".person")).toHaveCount(0);
    await context.close();
  });
}
