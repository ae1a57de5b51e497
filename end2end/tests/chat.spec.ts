import { expect, test } from "@playwright/test";
import { message, OwnServer, person, send, unique } from "./support";

test("two users chat in general and see each other's avatar and nickname", async ({ browser }) => {
  const [a, b] = [unique("Ada"), unique("Ben")];
  const ada = await person(browser, a, "fox");
  const ben = await person(browser, b, "whale");

  await send(ada.page, `hi from ${a}`);
  const seen = message(ben.page, `hi from ${a}`);
  await expect(seen).toHaveCount(1);
  // Ben sees who wrote it; Ada sees it as her own, on the right.
  const row = ben.page.getByTestId("message").filter({ has: ben.page.getByTestId("author").getByText(a) });
  await expect(row.locator("img")).toHaveAttribute("src", "/avatars/fox.svg");
  await expect(message(ada.page, `hi from ${a}`)).toHaveClass(/mine/);

  await send(ben.page, "hello <b>not bold</b>\nsecond line https://example.org/x");
  const reply = ada.page.getByTestId("message-text").filter({ hasText: "not bold" });
  await expect(reply).toContainText("<b>not bold</b>");
  await expect(reply.locator("b")).toHaveCount(0);
  await expect(reply.getByRole("link", { name: "https://example.org/x" })).toHaveAttribute("href", "https://example.org/x");
  expect(await reply.innerText()).toContain("\nsecond line");

  await ada.context.close();
  await ben.context.close();
});

test("a private message is seen by its two users and not by a third", async ({ browser }) => {
  const [a, b, c] = [unique("Pam"), unique("Quin"), unique("Rex")];
  const pam = await person(browser, a);
  const quin = await person(browser, b, "owl");
  const rex = await person(browser, c, "bear");

  await pam.page.getByTestId(`user-${b}`).click();
  await expect(pam.page.getByTestId("conversation-title")).toHaveText(b);
  await send(pam.page, "a secret for Quin");

  // Quin gets an unread badge next to Pam, opens the conversation and reads it.
  const pamInQuinsList = quin.page.getByTestId(`user-${a}`);
  await expect(pamInQuinsList.locator(".badge")).toHaveText("1");
  await pamInQuinsList.click();
  await expect(message(quin.page, "a secret for Quin")).toHaveCount(1);

  // Rex sees no trace of it.
  await expect(rex.page.getByTestId(`user-${a}`)).toBeVisible();
  await expect(rex.page.getByTestId(`user-${a}`).locator(".badge")).toHaveCount(0);
  await rex.page.getByTestId(`user-${a}`).click();
  await expect(rex.page.getByTestId("conversation-title")).toHaveText(a);
  await expect(rex.page.getByText("a secret for Quin")).toHaveCount(0);

  for (const p of [pam, quin, rex]) await p.context.close();
});

test("a room is created, joined, talked in and left", async ({ browser }) => {
  const room = unique("room-");
  const [a, b] = [unique("Uma"), unique("Vic")];
  const uma = await person(browser, a);
  const vic = await person(browser, b, "frog");

  await uma.page.getByPlaceholder("join or create a room").fill(room);
  await uma.page.getByPlaceholder("join or create a room").press("Enter");
  await expect(uma.page).toHaveURL(new RegExp(`/chat/${room}$`));
  await expect(uma.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);

  // Vic sees the new room in the list, with its one member, and joins it.
  const entry = vic.page.getByTestId(`room-${room}`);
  await expect(entry.locator(".room-members")).toHaveText("1");
  await entry.click();
  await vic.page.getByRole("button", { name: "Join", exact: true }).click();
  await expect(uma.page.getByTestId("system-line").filter({ hasText: `${b} joined` })).toBeVisible();
  await expect(uma.page.getByTestId(`room-${room}`).locator(".room-members")).toHaveText("2");

  await send(vic.page, "hello room");
  await expect(message(uma.page, "hello room")).toHaveCount(1);

  await vic.page.getByRole("button", { name: `Leave #${room}` }).click();
  await expect(uma.page.getByTestId("system-line").filter({ hasText: `${b} left` })).toBeVisible();
  await uma.context.close();
  await vic.context.close();
});

test("the typing indicator appears and expires", async ({ browser }) => {
  const [a, b] = [unique("Wes"), unique("Xia")];
  const wes = await person(browser, a);
  const xia = await person(browser, b);
  await wes.page.getByTestId("composer").pressSequentially("typing…");
  await expect(xia.page.getByTestId("typing")).toHaveText(`${a} is typing…`);
  // 5 s after the last signal it is gone.
  await expect(xia.page.getByTestId("typing")).toHaveText("", { timeout: 9_000 });
  await wes.context.close();
  await xia.context.close();
});

test.describe("with a server of the test's own", () => {
  let server: OwnServer;
  test.beforeEach(async () => {
    server = await OwnServer.start({ CHAT_PRESENCE_GRACE_SECS: "1" });
  });
  test.afterEach(async () => {
    await server.dispose();
  });

  test("the online count and user list follow a third user joining and leaving", async ({ browser }) => {
    const ada = await person(browser, "Ada", "fox", server.url);
    const ben = await person(browser, "Ben", "owl", server.url);
    await expect(ada.page.getByTestId("online-count")).toHaveText("2 online");

    const cat = await person(browser, "Cat", "cat", server.url);
    // A second tab of Cat's is still one user.
    const catTab2 = await cat.context.newPage();
    await catTab2.goto("/chat");
    await expect(catTab2.getByTestId("me")).toHaveText("Cat");
    for (const page of [ada.page, ben.page]) {
      await expect(page.getByTestId("online-count")).toHaveText("3 online");
      await expect(page.getByTestId("user-Cat")).toBeVisible();
    }

    await cat.page.getByTestId("logout").click();
    for (const page of [ada.page, ben.page]) {
      await expect(page.getByTestId("online-count")).toHaveText("2 online");
      await expect(page.getByTestId("user-Cat")).toHaveCount(0);
    }
    for (const p of [ada, ben, cat]) await p.context.close();
  });

  test("the server restarts mid-conversation: both pages reconnect by themselves and keep chatting", async ({
    browser,
  }) => {
    const ada = await person(browser, "Ada", "fox", server.url);
    const ben = await person(browser, "Ben", "owl", server.url);
    await send(ada.page, "before the restart");
    await expect(message(ben.page, "before the restart")).toHaveCount(1);

    await server.stop();
    for (const page of [ada.page, ben.page]) {
      await expect(page.getByTestId("connection-status")).toContainText("Reconnecting");
    }
    await server.restart();
    for (const page of [ada.page, ben.page]) {
      await expect(page.getByTestId("connection-status")).toHaveText("Connected", { timeout: 40_000 });
    }
    await send(ben.page, "after the restart");
    await expect(message(ada.page, "after the restart")).toHaveCount(1);
    // History from before the restart is still there, once.
    await expect(message(ada.page, "before the restart")).toHaveCount(1);
    for (const p of [ada, ben]) await p.context.close();
  });
});
