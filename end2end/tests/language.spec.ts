// 简体中文 and English: the language comes from the browser (navigator.languages,
// and Accept-Language for the page the server renders), a switch changes it on the
// spot and is remembered (a cookie the server reads too); dates, times and the
// server's refusals read in the user's language; two people in two languages see
// the same conversation each in their own.
import { expect, test, type Browser } from "@playwright/test";
import { login, send, unique } from "./support";

async function chinese(browser: Browser) {
  const context = await browser.newContext({ locale: "zh-CN" });
  return { context, page: await context.newPage() };
}

test("a Chinese browser gets the page in Chinese, from the server on", async ({ browser, baseURL }) => {
  const { context, page } = await chinese(browser);
  // The server's HTML, before any WASM runs: Accept-Language decides.
  const response = await page.request.get(`${baseURL}/`, { headers: { "Accept-Language": "zh-CN,zh;q=0.9" } });
  const html = await response.text();
  expect(html).toMatch(/<html[^>]* lang="zh-CN"/);
  expect(html).toContain("进入聊天室");
  expect(html).not.toContain("Join the chat");

  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto("/");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await expect(page.getByRole("button", { name: "进入聊天室" })).toBeEnabled();
  await expect(page.getByLabel("昵称")).toBeVisible();
  await expect(page.locator('label.avatar-choice[data-avatar="panda"]')).toHaveAttribute("title", "熊猫");

  // The browser's own check of the nickname, in Chinese.
  await page.getByLabel("昵称").fill("bad<name>");
  await page.getByLabel("昵称").press("Enter");
  await expect(page.locator("#nickname-error")).toContainText("只能用文字、数字");
  expect(errors).toEqual([]);
  await context.close();
});

test("the language switch changes every text at once and is remembered", async ({ browser }) => {
  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");

  await page.getByTestId("language").selectOption("zh-CN");
  await expect(page.getByRole("button", { name: "进入聊天室" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  expect((await context.cookies()).find((c) => c.name === "lang")?.value).toBe("zh-CN");
  // A reload (the server renders it) keeps the choice over the browser's language.
  await page.reload();
  await expect(page.getByRole("button", { name: "进入聊天室" })).toBeEnabled();

  const name = unique("Lang");
  await page.getByLabel("昵称").fill(name);
  await page.getByLabel("昵称").press("Enter");
  await expect(page.getByTestId("me")).toHaveText(name);
  await expect(page.getByTestId("logout")).toHaveText("退出");
  await expect(page.getByTestId("composer")).toHaveAttribute("placeholder", "发消息到 #general");
  await expect(page.getByTestId("online-count")).toContainText("人在线");

  // Back to English from the settings, without a reload.
  await page.getByTestId("open-settings").click();
  await expect(page.getByRole("heading", { name: "设置" })).toBeVisible();
  await page.getByTestId("settings-panel").getByTestId("language").selectOption("en");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  await expect(page.getByTestId("logout")).toHaveText("Log out");
  await expect(page.getByTestId("composer")).toHaveAttribute("placeholder", "Message #general");
  expect((await context.cookies()).find((c) => c.name === "lang")?.value).toBe("en");
  await context.close();
});

test("two people in two languages: each reads the same conversation in their own", async ({ browser }) => {
  const zh = await chinese(browser);
  const en = await browser.newContext({ locale: "en-US" });
  const enPage = await en.newPage();
  const room = unique("lang-");
  const [li, ann] = [unique("Li"), unique("Ann")];

  await zh.page.goto("/");
  await expect(zh.page.getByRole("button", { name: "进入聊天室" })).toBeEnabled();
  await zh.page.getByLabel("昵称").fill(li);
  await zh.page.getByLabel("昵称").press("Enter");
  await expect(zh.page.getByTestId("me")).toHaveText(li);
  await login(enPage, ann);

  for (const page of [zh.page, enPage]) {
    await page.goto(`/chat/${room}`);
  }
  await zh.page.getByRole("button", { name: "加入", exact: true }).click();
  await enPage.getByRole("button", { name: "Join", exact: true }).click();
  await expect(zh.page.getByTestId("conversation-title")).toHaveText(`# ${room}`);
  await expect(enPage.getByTestId("conversation-title")).toHaveText(`# ${room}`);

  // The join lines: the same stored line, in each reader's words.
  await expect(zh.page.getByTestId("system-line").filter({ hasText: ann })).toContainText(`${ann} 加入了`);
  await expect(enPage.getByTestId("system-line").filter({ hasText: li })).toContainText(`${li} joined`);

  await send(zh.page, "你好，世界 👋");
  const row = enPage.getByTestId("message").filter({ hasText: "你好，世界" });
  await expect(row).toBeVisible();
  // Dates in each reader's language: the tooltip of a time is the full date.
  const enDate = await row.locator("time").first().getAttribute("title");
  const zhDate = await zh.page.getByTestId("message").filter({ hasText: "你好，世界" }).locator("time").first().getAttribute("title");
  expect(enDate).toMatch(/Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday/);
  expect(zhDate).toMatch(/年.*月.*日.*星期/);

  // Typing and the server's refusals, in Chinese.
  await enPage.getByTestId("composer").fill("typing…");
  await expect(zh.page.getByTestId("typing")).toHaveText(`${ann} 正在输入…`);
  await zh.page.goto("/chat/dm/999999999");
  await expect(zh.page.getByTestId("notice")).toContainText("没有这个用户");

  await zh.context.close();
  await en.close();
});
