// How the site's files reach a browser: named by a hash of their content, sent brotli-
// or gzip-compressed as built, cached for good (a reload fetches no WASM again), the
// page itself never cached. Load times of the login page under the DevTools network
// throttle are printed as figures (lines starting LOAD-TIME), not asserted.
import { expect, test, type Page } from "@playwright/test";

/** The bundle's file names, from the server-rendered page. */
async function bundle(html: string): Promise<{ js: string; wasm: string; css: string }> {
  const find = (ext: string) => {
    const found = html.match(new RegExp(`/pkg/chat\\.[\\w-]+\\.${ext}`));
    expect(found, `no hashed .${ext} in the page`).not.toBeNull();
    return found![0];
  };
  return { js: find("js"), wasm: find("wasm"), css: find("css") };
}

test("the bundle is hashed, precompressed and cached for good; the page is not cached", async ({ request }) => {
  const page = await request.get("/");
  expect(page.headers()["cache-control"]).toBe("no-cache");
  const files = await bundle(await page.text());
  for (const [encoding, name] of [["br", "br"], ["gzip", "gzip"]]) {
    const response = await request.get(files.wasm, { headers: { "Accept-Encoding": encoding } });
    expect(response.status()).toBe(200);
    expect(response.headers()["content-encoding"]).toBe(name);
    expect(response.headers()["vary"]).toMatch(/accept-encoding/i);
    expect(response.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
  }
  // A client that accepts no compression still gets the file, whole.
  const plain = await request.get(files.wasm, { headers: { "Accept-Encoding": "identity" } });
  expect(plain.headers()["content-encoding"]).toBeUndefined();
  expect((await plain.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
});

test("a reload with a warm cache fetches no WASM or JS again", async ({ page }) => {
  // Responses of /pkg/ files by request, and the requests the memory cache answered.
  const responses = new Map<string, { path: string; fromDisk: boolean }>();
  const fromMemory = new Set<string>();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.requestServedFromCache", (e) => fromMemory.add(e.requestId));
  cdp.on("Network.responseReceived", (e) => {
    const path = new URL(e.response.url).pathname;
    if (path.startsWith("/pkg/")) responses.set(e.requestId, { path, fromDisk: !!e.response.fromDiskCache });
  });
  const fetched = () =>
    [...responses].filter(([id, r]) => !r.fromDisk && !fromMemory.has(id)).map(([, r]) => r.path);
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled();
  expect(fetched().some((p) => p.endsWith(".wasm"))).toBe(true);
  responses.clear();
  await page.reload();
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled();
  expect(responses.size, "the reload loaded the bundle").toBeGreaterThan(0);
  expect(fetched()).toEqual([]);
});

/** Milliseconds from navigation until the login form can be used (hydrated), and the
 * WASM's encoding and bytes on the wire. */
async function usableAfter(
  page: Page,
  throttle?: { mbit: number; rttMs: number },
): Promise<{ ms: number; wasm: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  if (throttle) {
    const bytesPerSecond = (throttle.mbit * 1_000_000) / 8;
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: throttle.rttMs,
      downloadThroughput: bytesPerSecond,
      uploadThroughput: bytesPerSecond,
    });
  }
  const wasmRequests = new Map<string, string>();
  let wasm = "";
  cdp.on("Network.responseReceived", (e) => {
    if (e.response.url.endsWith(".wasm")) {
      const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      wasmRequests.set(e.requestId, String(headers["content-encoding"] ?? "identity"));
    }
  });
  cdp.on("Network.loadingFinished", (e) => {
    const encoding = wasmRequests.get(e.requestId);
    if (encoding) wasm = `${encoding}, ${Math.round(e.encodedDataLength / 1024)} KiB`;
  });
  const start = Date.now();
  await page.goto("/", { waitUntil: "commit" });
  await expect(page.getByRole("button", { name: "Join the chat" })).toBeEnabled({ timeout: 30_000 });
  return { ms: Date.now() - start, wasm };
}

test("the login page's load time, cold cache, loopback and throttled (figures)", async ({ browser }) => {
  test.setTimeout(120_000);
  const links: [string, { mbit: number; rttMs: number } | undefined][] = [
    ["warm-up", undefined],
    ["loopback", undefined],
    ["10 Mbit/s, 40 ms", { mbit: 10, rttMs: 40 }],
    ["1.6 Mbit/s, 150 ms", { mbit: 1.6, rttMs: 150 }],
  ];
  const figures: Record<string, number | string> = {};
  for (const [name, throttle] of links) {
    const context = await browser.newContext();
    const { ms, wasm } = await usableAfter(await context.newPage(), throttle);
    await context.close();
    // The first page of a browser also starts its renderer: not the page's own time.
    if (name === "warm-up") continue;
    figures[name] = ms;
    figures.wasm = wasm;
  }
  // Each became usable (the form hydrated) within usableAfter's 30 s, or the test failed.
  console.log(`LOAD-TIME ${JSON.stringify(figures)}`);
});
