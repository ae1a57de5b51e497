// Nothing lost, nothing twice, as a user sees it: messages written offline survive a
// reload and go out once; a server killed with messages in flight loses none.
import { expect, test, type Page } from "@playwright/test";
import { message, OwnServer, person, send, unique } from "./support";

/** Every text among `texts` shown on the page, in the order shown (duplicates included). */
async function shown(page: Page, texts: string[]): Promise<string[]> {
  const all = await page.getByTestId("message-text").allTextContents();
  return all.map((t) => t.trim()).filter((t) => texts.includes(t));
}

test("messages written offline stay pending across a reload and are delivered once", async ({ browser }) => {
  const annName = unique("ann");
  const ann = await person(browser, annName);
  const bob = await person(browser, unique("bob"), "owl");
  const texts = [1, 2, 3].map((n) => `offline ${n} ${unique("m")}`);

  // From now on the page's WebSocket is refused, while the page itself still loads.
  let refuse = true;
  await ann.page.routeWebSocket(/\/ws$/, (ws) => {
    if (refuse) ws.close();
    else ws.connectToServer();
  });
  await ann.page.reload();
  // The chat comes back from browser storage, offline.
  await expect(ann.page.getByTestId("me")).toHaveText(annName);
  await expect(ann.page.getByTestId("conversation-title")).toHaveText("# general");
  for (const text of texts) await send(ann.page, text);
  const pending = ann.page.getByTestId("pending");
  await expect(pending).toHaveCount(3);
  await expect(pending.first()).toContainText("Waiting for the connection");

  // Still pending after a reload: restored from storage, not sent.
  await ann.page.reload();
  await expect(pending).toHaveCount(3);
  for (const [i, text] of texts.entries()) await expect(pending.nth(i)).toContainText(text);
  await expect(message(bob.page, texts[0])).toHaveCount(0);

  // The WebSocket is let through: each goes out once, in order.
  refuse = false;
  await ann.page.evaluate(() => window.dispatchEvent(new Event("online")));
  await expect(pending).toHaveCount(0);
  for (const text of texts) {
    await expect(message(ann.page, text)).toHaveCount(1);
    await expect(message(bob.page, text)).toHaveCount(1);
  }
  // And stays once after another reload (no outbox left to send again).
  await ann.page.reload();
  await expect(message(ann.page, texts[2])).toHaveCount(1);
  await bob.page.waitForTimeout(500);
  expect(await shown(bob.page, texts)).toEqual(texts);
  expect(await shown(ann.page, texts)).toEqual(texts);
  await ann.context.close();
  await bob.context.close();
});

test("a long outbox written offline goes out in order, past the send rate limit, none failed", async ({
  browser,
}) => {
  const ann = await person(browser, unique("ann"));
  const bob = await person(browser, unique("bob"), "owl");
  // More than the server's burst of 10: some are refused as too fast and go again later.
  const texts = Array.from({ length: 14 }, (_, n) => `queued ${n} ${unique("m")}`);
  let refuse = true;
  await ann.page.routeWebSocket(/\/ws$/, (ws) => {
    if (refuse) ws.close();
    else ws.connectToServer();
  });
  await ann.page.reload();
  await expect(ann.page.getByTestId("conversation-title")).toHaveText("# general");
  for (const text of texts) await send(ann.page, text);
  await expect(ann.page.getByTestId("pending")).toHaveCount(texts.length);

  refuse = false;
  await ann.page.evaluate(() => window.dispatchEvent(new Event("online")));
  await expect(ann.page.getByTestId("pending")).toHaveCount(0);
  await expect(message(bob.page, texts[texts.length - 1])).toHaveCount(1);
  await bob.page.waitForTimeout(500);
  expect(await shown(bob.page, texts)).toEqual(texts);
  expect(await shown(ann.page, texts)).toEqual(texts);
  await ann.context.close();
  await bob.context.close();
});

test.describe("with a server of its own", () => {
  test("a server killed with messages in flight and restarted loses none", async ({ browser }) => {
    const server = await OwnServer.start();
    try {
      const ann = await person(browser, unique("ann"), "fox", server.url);
      const bob = await person(browser, unique("bob"), "owl", server.url);
      const texts = [1, 2, 3, 4, 5, 6].map((n) => `in flight ${n} ${unique("m")}`);
      // Three go out just before the kill (stored or not, acknowledged or not),
      // three while the server is down.
      for (const text of texts.slice(0, 3)) await send(ann.page, text);
      await server.kill();
      for (const text of texts.slice(3)) await send(ann.page, text);
      await server.restart();

      await expect(ann.page.getByTestId("pending")).toHaveCount(0, { timeout: 30_000 });
      for (const text of texts) {
        await expect(message(ann.page, text)).toHaveCount(1);
        await expect(message(bob.page, text)).toHaveCount(1);
      }
      await bob.page.waitForTimeout(500);
      expect(await shown(bob.page, texts)).toEqual(texts);
      expect(await shown(ann.page, texts)).toEqual(texts);
      await ann.context.close();
      await bob.context.close();
    } finally {
      await server.dispose();
    }
  });
});
