// End to end in real headless Chromium (Debian's, driven by playwright-core)
// against a real `berth serve` on 127.0.0.1, the real Docker engine and the
// test store (tests/store, images from the local registry):
// setup → login → search → install a test app with a setting → progress
// reaches 100% → the app answers on its port → stop → start → uninstall
// keeping data → wrong password refused. A screenshot of every page goes to
// ui/e2e-output/; a blank page fails the test.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const berth = process.env.BERTH_BIN ?? join(repo, "target/debug/berth");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const out = join(here, "../e2e-output");
const PASSWORD = "a long enough password";
const APP = "greeter";

function fail(message) {
  throw new Error(message);
}
if (!existsSync(berth)) fail(`no berth binary at ${berth}: build it first (cargo build), or set BERTH_BIN`);
if (!existsSync(browserPath)) fail(`no Chromium at ${browserPath}: apt-get install chromium (or set CHROMIUM)`);
try {
  execFileSync("docker", ["info"], { stdio: "ignore" });
} catch {
  fail("the Docker engine is not running: run .ci/setup-docker");
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const home = mkdtempSync(join(tmpdir(), "berth-e2e-ui-"));
const log = [];
const daemon = spawn(berth, ["--home", home, "serve", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "ignore", "pipe"] });
daemon.stderr.on("data", (d) => log.push(d.toString()));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, seconds = 60) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}\n${log.join("")}`);
    await sleep(200);
  }
}

let browser;
let step = 0;
async function shot(page, name) {
  await page.waitForLoadState("networkidle").catch(() => {});
  const file = join(out, `${String(++step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  const text = (await page.evaluate(() => document.body.innerText)).trim();
  if (text.length < 20) fail(`the ${name} page is blank (${file})`);
  console.log(`  page ${name}: ${file}`);
}

function cleanupDocker() {
  try {
    const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${APP}`]).toString().split(/\s+/).filter(Boolean);
    if (ids.length) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
    execFileSync("docker", ["network", "rm", `${APP}_default`], { stdio: "ignore" });
  } catch {
    /* nothing left */
  }
}

try {
  cleanupDocker();
  const addrFile = join(home, "http.addr");
  const base = `http://${(await until("the daemon's web address", () => existsSync(addrFile) && readFileSync(addrFile, "utf8").trim()))}`;
  execFileSync(berth, ["--home", home, "catalog", "add", join(repo, "tests/store"), "--name", "test"]);
  console.log(`berth serve at ${base}, home ${home}`);

  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);

  // First run: create the admin.
  await page.goto(base);
  await page.getByRole("heading", { name: "Welcome to Berth" }).waitFor();
  await shot(page, "setup");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "App store" }).waitFor();
  await page.locator(".app-card").first().waitFor();
  await shot(page, "catalog");

  // Search, open the app, install it with a setting.
  await page.getByLabel("Search apps").fill("greets");
  await until('the search to show only Greeter', async () => {
    const names = await page.locator(".app-card strong").allInnerTexts();
    return names.length === 1 && names[0] === "Greeter";
  }, 10);
  await shot(page, "search");
  await page.locator(".app-card", { hasText: "Greeter" }).click();
  await page.getByRole("heading", { name: "Greeter" }).waitFor();
  await shot(page, "app");
  await page.getByRole("button", { name: "Install" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Admin name").fill("browser");
  await shot(page, "install-form");
  await dialog.getByRole("button", { name: "Install" }).click();
  await dialog.getByText("Greeter is installed.").waitFor({ timeout: 120000 });
  const percent = await dialog.getByTestId("install-percent").innerText();
  if (percent.trim() !== "100%") fail(`progress ended at ${percent}`);
  const steps = await dialog.locator(".steplog li").allInnerTexts();
  if (!steps.some((s) => s.includes("Step: start"))) fail(`the step log misses the start step: ${steps}`);
  await shot(page, "install-done");

  // My apps: running; Open answers on its port.
  await dialog.getByRole("link", { name: "Go to my apps" }).click();
  const row = page.locator(`[data-app="${APP}"]`);
  const status = page.getByTestId(`status-${APP}`);
  await until("the app to run", async () => (await status.innerText()) === "running");
  await shot(page, "my-apps");
  const href = await row.getByRole("link", { name: "Open" }).getAttribute("href");
  const answer = await until("the app to answer", async () => {
    try {
      const r = await fetch(href);
      return r.ok && (await r.text());
    } catch {
      return false;
    }
  });
  if (!answer.includes("Hello, browser")) fail(`the app at ${href} answered ${JSON.stringify(answer)}`);
  console.log(`  ${href} answers: ${answer.trim()}`);

  // Stop, start.
  await row.getByRole("button", { name: "Stop", exact: true }).click();
  await until("the app to stop", async () => (await status.innerText()) === "stopped");
  await shot(page, "stopped");
  await row.getByRole("button", { name: "Start", exact: true }).click();
  await until("the app to start again", async () => (await status.innerText()) === "running");

  // Logs and history render.
  await row.getByRole("link", { name: "Logs" }).click();
  await page.getByRole("heading", { name: `Logs of ${APP}` }).waitFor();
  await shot(page, "logs");
  await page.getByRole("link", { name: "History" }).click();
  await page.getByRole("cell", { name: "install" }).first().waitFor();
  await shot(page, "history");

  // Uninstall, keeping data.
  await page.getByRole("link", { name: "My apps" }).click();
  await row.getByRole("button", { name: "Uninstall" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Uninstall", exact: true }).click();
  await until("the app to be gone", async () => (await page.locator(`[data-app="${APP}"]`).count()) === 0);
  await shot(page, "uninstalled");
  if (!existsSync(join(home, "apps", APP, "data", "site", "www", "index.html"))) fail("uninstall lost the app's data");

  // Log out; a wrong password is refused, the right one lets in.
  await page.getByRole("button", { name: /Log out/ }).click();
  await page.getByRole("heading", { name: "Log in to Berth" }).waitFor();
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong user name or password" }).waitFor();
  await shot(page, "login-refused");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "App store" }).click();
  await page.getByRole("heading", { name: "App store" }).waitFor();

  // A phone-sized screen shows the same app store.
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "phone");
  console.log("web UI end-to-end: ok");
} catch (e) {
  console.error(`web UI end-to-end FAILED: ${e.stack ?? e}`);
  console.error(`daemon log:\n${log.join("")}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  daemon.kill("SIGTERM");
  await sleep(500);
  cleanupDocker();
  try {
    execFileSync("docker", ["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${APP}`]);
  } catch {
    /* ignore */
  }
  rmSync(home, { recursive: true, force: true });
}
