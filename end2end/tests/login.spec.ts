import { expect, test } from "@playwright/test";
import { login, person, unique } from "./support";

test("the login page is rendered on the server, hydrates, and logs in with a nickname and an avatar", async ({
  page,
  request,
}) => {
  // Server-side rendering: the form is in the HTML before any WASM runs.
  const html = await (await request.get("/")).text();
  expect(html).toContain("Nickname");
  expect(html).toContain("/avatars/octopus.svg");
  expect(html).toMatch(/\/pkg\/chat\.[\w-]+\.wasm/);

  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  const name = unique("Ann");
  await page.goto("/");
  // Only the hydrated client validates inline (the server has not been asked).
  await page.getByLabel("Nickname").fill("bad<name>");
  await page.getByLabel("Nickname").press("Enter");
  await expect(page.locator("#nickname-error")).toContainText("letters, digits, spaces");
  await expect(page).toHaveURL(/\/$/);

  await login(page, name, "owl");
  await expect(page.locator(".sidebar .me img")).toHaveAttribute("src", "/avatars/owl.svg");
  expect(errors).toEqual([]);
});

test("a nickname in use, or one that looks the same, is refused inline", async ({ browser }) => {
  const name = unique("Bo");
  const first = await person(browser, name);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled();
  await page.getByLabel("Nickname").fill(name.toUpperCase());
  await page.getByLabel("Nickname").press("Enter");
  await expect(page.locator("#nickname-error")).toContainText("is in use");
  await expect(page).toHaveURL(/\/$/);
  await context.close();
  await first.context.close();
});

test("a reload keeps the session and the history; logout ends it and the name is remembered", async ({ page }) => {
  const name = unique("Cy");
  await login(page, name, "cat");
  const composer = page.getByTestId("composer");
  await composer.fill("before the reload");
  await composer.press("Enter");
  await expect(page.getByTestId("messages")).toContainText("before the reload");

  await page.reload();
  await expect(page.getByTestId("me")).toHaveText(name);
  await expect(page.getByTestId("messages")).toContainText("before the reload");
  await expect(page.getByTestId("pending")).toHaveCount(0);

  await page.getByTestId("logout").click();
  await expect(page).toHaveURL(/\/$/);
  // The last nickname and avatar are filled in again.
  await expect(page.getByLabel("Nickname")).toHaveValue(name);
  await expect(page.locator('label.avatar-choice[data-avatar="cat"] input')).toBeChecked();
  // And the session is gone for good: a reload stays on the login page.
  await page.reload();
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled();
  await expect(page).toHaveURL(/\/$/);
});
