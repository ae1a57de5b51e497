// Shared helpers of the end-to-end tests.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Browser, type BrowserContext, type Page } from "@playwright/test";

const root = path.resolve(__dirname, "..", "..");

/** A name no other test (or earlier run) uses: `prefix` plus a random tail, at most 24 characters. */
export function unique(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 8)}`;
}

/** What an axe-core scan (WCAG 2.1 A and AA rules) of the page finds: none, we want. */
export async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
}

/** Opens the login page, picks the nickname and avatar, presses Enter, and waits for the
 * chat. In any language: it finds the fields by id, not by their words. */
export async function login(page: Page, nickname: string, avatar = "fox"): Promise<void> {
  await page.goto("/");
  await expect(page.locator("form.login-card button[type=submit]")).toBeEnabled();
  await page.locator(`label.avatar-choice[data-avatar="${avatar}"]`).click();
  await page.locator("#nickname").fill(nickname);
  await page.locator("#nickname").press("Enter");
  await expect(page).toHaveURL(/\/chat$/);
  await expect(page.getByTestId("me")).toHaveText(nickname);
  await expect(page.getByTestId("conversation-title")).toHaveText("# general");
}

/** A new browser context (its own storage: another person) with a logged-in page. */
export async function person(
  browser: Browser,
  nickname: string,
  avatar = "fox",
  baseURL?: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(baseURL ? { baseURL } : {});
  const page = await context.newPage();
  await login(page, nickname, avatar);
  return { context, page };
}

/** A virtual platform authenticator on `page` (DevTools protocol: ctap2, internal
 * transport, resident keys, user verification), holding `credentials` at first. */
export async function virtualAuthenticator(page: Page, credentials: Record<string, unknown>[] = []) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  for (const credential of credentials) {
    await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: credential as never });
  }
  return {
    /** The credentials it holds now (private keys included), to copy to another. */
    credentials: async () =>
      (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials as unknown as Record<string, unknown>[],
  };
}

export async function send(page: Page, text: string): Promise<void> {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  await composer.press("Enter");
  await expect(composer).toHaveValue("");
}

/** The message rows whose bubble has exactly this text. */
export function message(page: Page, text: string) {
  return page
    .getByTestId("message")
    .filter({ has: page.getByTestId("message-text").getByText(text, { exact: true }) });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** The newest build of `file` (under the target directory) of any profile. */
function built(file: string, override: string | undefined, variable: string): string {
  if (override) return override;
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
  const found = ["release", "debug"]
    .map((profile) => path.join(target, profile, file))
    .filter((candidate) => existsSync(candidate))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!found.length) throw new Error(`no ${file} under ${target}; set ${variable}`);
  return found[0];
}

function serverBinary(): string {
  return built("chat", process.env.CHAT_SERVER_BIN, "CHAT_SERVER_BIN");
}

/** The benchmark's load generator (bench/loadgen, built by `cargo test`). */
export function loadgenBinary(): string {
  return built(path.join("examples", "loadgen"), process.env.LOADGEN_BIN, "LOADGEN_BIN");
}

/**
 * A server of this test's own: the built binary on a free port with a fresh database,
 * serving the site cargo-leptos built. It can be stopped and started again on the same database.
 */
export class OwnServer {
  readonly url: string;
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(path.join(tmpdir(), "chat-e2e-"));

  private constructor(
    private readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(env: Record<string, string> = {}): Promise<OwnServer> {
    const server = new OwnServer(await freePort(), env);
    await server.restart();
    return server;
  }

  private environment(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CHAT_LISTEN_ADDR: `127.0.0.1:${this.port}`,
      CHAT_DATABASE_URL: `sqlite://${path.join(this.dir, "chat.db")}`,
      CHAT_SITE_ROOT: process.env.CHAT_SITE_ROOT ?? path.join(root, "target", "site"),
      RUST_LOG: "warn",
      ...this.env,
    };
  }

  /** Starts the server (again), and waits until it answers. */
  async restart(): Promise<void> {
    this.process = spawn(serverBinary(), [], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: this.environment(),
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(this.url)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`own server on ${this.url} did not start`);
  }

  /** The operator's `chat admin ARGS…` against this server's database: what it printed. */
  admin(...args: string[]): string {
    const run = spawnSync(serverBinary(), ["admin", ...args], { cwd: root, env: this.environment(), encoding: "utf8" });
    if (run.status !== 0) throw new Error(`chat admin ${args.join(" ")} failed: ${run.stderr}`);
    return run.stdout;
  }

  /** Stops the server (SIGTERM: it closes every socket with 1001) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }

  /** Kills the server (SIGKILL: no close frames, no clean-up) and waits for it to be gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
