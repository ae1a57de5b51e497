import { expect, test } from "@playwright/test";

test("the page is rendered on the server, hydrated by the WASM client and connects over /ws", async ({
  page,
  request,
}) => {
  // Server-side rendering: the HTML already has the page, with the socket not yet up.
  const html = await (await request.get("/")).text();
  expect(html).toContain("Connecting…");
  expect(html).toContain("/pkg/chat.wasm");

  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const sockets: string[] = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));

  await page.goto("/");
  // "Connected" only appears once the server's welcome arrived over the socket.
  await expect(page.getByTestId("connection-status")).toHaveText("Connected");
  expect(sockets.filter((url) => new URL(url).pathname === "/ws")).toHaveLength(1);

  // Only the hydrated WASM can answer this click, and only over the live socket.
  await page.getByTestId("measure-latency").click();
  await expect(page.getByTestId("round-trip")).toHaveText(/^Round trip: \d+ ms$/);
  expect(errors).toEqual([]);
});

test("a dropped socket shows the banner and reconnects by itself", async ({ page }) => {
  // Record every text the banner shows: the reconnect delay can be shorter than a poll.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as any).statusHistory = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="connection-status"]')?.textContent ?? "";
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  let connections = 0;
  await page.routeWebSocket("/ws", (ws) => {
    connections += 1;
    const server = ws.connectToServer();
    if (connections === 1) {
      // Let the welcome through, then cut the link as a dying server would.
      server.onMessage((message) => {
        ws.send(message);
        ws.close({ code: 4001, reason: "test cut" });
      });
    }
  });

  await page.goto("/");
  await expect.poll(() => connections).toBe(2);
  await expect(page.getByTestId("connection-status")).toHaveText("Connected");
  const history: string[] = await page.evaluate(() => (window as any).statusHistory);
  const reconnecting = history.findIndex((t) => /^Reconnecting \(attempt 1, next try in \d+\.\d s\)$/.test(t));
  expect(history.indexOf("Connected"), history.join(" | ")).toBeGreaterThanOrEqual(0);
  expect(reconnecting, history.join(" | ")).toBeGreaterThan(history.indexOf("Connected"));
  expect(history[history.length - 1]).toBe("Connected");
});
