import { defineConfig, devices } from "@playwright/test";

// The server under test: the one `cargo leptos end-to-end` starts (site-addr in Cargo.toml).
const baseURL = process.env.PLAYWRIGHT_BASE_URL ?? "http://127.0.0.1:3000";

// Debian's Chromium: Playwright's own browser download cannot work on these machines.
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const args = [
  "--disable-gpu",
  // Without these Chromium keeps calling hosts this machine cannot reach.
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
if (process.getuid?.() === 0) args.push("--no-sandbox");

// Test files that measure time in the browser (see the "measured" project).
const MEASURED = /(busy_room|site)\.spec\.ts$/;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  // Tests share one server: they use unique nicknames and rooms; those that count users
  // or restart the server start their own (OwnServer in tests/support.ts).
  reporter: [["list"]],
  globalSetup: "./global-setup.ts",
  use: {
    baseURL,
    // English unless a test asks for another language (language.spec.ts): the
    // machine's own locale must not change what the tests read.
    locale: "en-US",
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      testIgnore: MEASURED,
      use: { ...devices["Desktop Chrome"], launchOptions: { executablePath, args } },
    },
    // The tests that time the browser (load under the network throttle, a busy room's
    // frames and DOM) run last and one at a time: beside another test's load on a
    // 2-core machine they measured that load (a throttled download stalled for 30 s
    // next to the busy room's 40 senders).
    {
      name: "measured",
      testMatch: MEASURED,
      dependencies: ["chromium"],
      workers: 1,
      use: { ...devices["Desktop Chrome"], launchOptions: { executablePath, args } },
    },
  ],
});
