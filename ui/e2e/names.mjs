// End to end in real headless Chromium against a real `berth serve` with its
// reverse proxy's HTTPS listener on a loopback port, apps under the domain
// home.test (which Chromium resolves to 127.0.0.1 by --host-resolver-rules),
// and Berth's local CA trusted by Chromium the way a Linux desktop trusts it
// (its NSS database, by certutil; no certificate error is ignored): an app installed
// with a name is opened from its page by that name; renamed on the page, it
// opens by the new name; its port number taken off the host with the page's
// box, it still opens by name; with "Require Berth login" on, opening it in a
// browser that is not logged in at Berth's name goes through Berth's login
// at berth.home.test and lands on the app. Run on its own
// (`node e2e/names.mjs`, about a minute) or after flow.mjs (`npm run e2e`).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const berth = process.env.BERTH_BIN ?? join(repo, "target/debug/berth");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const out = join(here, "../e2e-output/names");
const PASSWORD = "a long enough password";
const APP = "names-e2e";
const OWN = "names-e2e-own";
const DOMAIN = "home.test";
const IMAGE = "127.0.0.1:5000/berth-test/box:1.0";

function fail(message) {
  throw new Error(message);
}
if (!existsSync(berth)) fail(`no berth binary at ${berth}: build it first (cargo build), or set BERTH_BIN`);
if (!existsSync(browserPath)) fail(`no Chromium at ${browserPath}: apt-get install chromium (or set CHROMIUM)`);
try {
  execFileSync("certutil", ["-H"], { stdio: "ignore" });
} catch (e) {
  if (e.code === "ENOENT") fail("no certutil (Chromium's trust store is set up with it): apt-get install libnss3-tools");
}
try {
  execFileSync("docker", ["info"], { stdio: "ignore" });
} catch {
  fail("the Docker engine is not running: run .ci/setup-docker");
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const home = mkdtempSync(join(tmpdir(), "berth-e2e-names-"));
const log = [];
const daemon = spawn(berth, ["--home", home, "serve", "--listen", "127.0.0.1:0", "--proxy-listen", "127.0.0.1:0", "--proxy-tls-listen", "127.0.0.1:0", "--proxy-domain", DOMAIN], {
  stdio: ["ignore", "ignore", "pipe"],
});
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
let step = 0;
async function shot(page, name) {
  await page.waitForLoadState("networkidle").catch(() => {});
  const file = join(out, `${String(++step).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  page ${name}: ${file}`);
}
function cleanupDocker() {
  for (const project of [APP, OWN]) {
    try {
      const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).toString().split(/\s+/).filter(Boolean);
      if (ids.length) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
      execFileSync("docker", ["network", "rm", `${project}_default`], { stdio: "ignore" });
    } catch {
      /* nothing left */
    }
  }
}
const addressIn = (file) => until(`the daemon's ${file}`, () => existsSync(join(home, file)) && readFileSync(join(home, file), "utf8").trim());

/** Clicks "Open" and returns the page it opened, once loaded. */
async function open(context, page) {
  const [opened] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: "Open", exact: true }).click()]);
  await opened.waitForLoadState();
  return opened;
}

let browser;
let dir;
let nss;
try {
  cleanupDocker();
  const base = `http://${await addressIn("http.addr")}`;
  const port = (await addressIn("proxy-tls.addr")).split(":").pop();
  console.log(`berth serve at ${base}, its proxy's HTTPS on port ${port}, home ${home}`);
  // Chromium trusts Berth's CA as a desktop would: in the NSS database of the
  // (throwaway) home it runs with.
  nss = mkdtempSync(join(tmpdir(), "berth-e2e-names-nss-"));
  const db = `sql:${join(nss, ".pki/nssdb")}`;
  mkdirSync(join(nss, ".pki/nssdb"), { recursive: true });
  execFileSync("certutil", ["-d", db, "-N", "--empty-password"]);
  execFileSync("certutil", ["-d", db, "-A", "-t", "C,,", "-n", "Berth e2e CA", "-i", join(home, "tls", "ca.crt")]);

  // An app of static pages, installed with a name.
  dir = mkdtempSync(join(tmpdir(), "berth-e2e-names-app-"));
  const compose = join(dir, "compose.yml");
  writeFileSync(compose, `services:\n  web:\n    image: ${IMAGE}\n    command: [sh, -c, "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]\n    volumes: ['./data:/www']\n    ports: ['18531:80']\n`);
  execFileSync(berth, ["--home", home, "install", compose, "--id", APP, "--name", "pages"], { stdio: "ignore" });
  writeFileSync(join(home, "apps", APP, "data", "index.html"), "<!doctype html><title>pages</title><h1>The pages app, by name</h1>\n");

  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", `--host-resolver-rules=MAP *.${DOMAIN} 127.0.0.1`],
    env: { ...process.env, HOME: nss },
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);

  // Setup, then the app's page: its name, and "Open" goes there.
  await page.goto(base);
  await page.getByRole("heading", { name: "Welcome to Berth" }).waitFor();
  await page.getByLabel("Setup code").fill(readFileSync(join(home, "setup-code"), "utf8").trim());
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
  await page.goto(`${base}/#/apps/${APP}`);
  await page.getByRole("heading", { name: APP, exact: true }).waitFor();
  const address = page.getByTestId("app-address");
  await address.filter({ hasText: `https://pages.${DOMAIN}:${port}/` }).waitFor();
  await shot(page, "app-named");
  let app = await open(context, page);
  if (app.url() !== `https://pages.${DOMAIN}:${port}/`) fail(`Open went to ${app.url()}`);
  await app.getByRole("heading", { name: "The pages app, by name" }).waitFor();
  await shot(app, "opened-by-name");
  await app.close();

  // A name that is taken or invalid is refused in the page; a good one moves it.
  const name = page.getByRole("textbox", { name: "Name", exact: true });
  await name.fill("Bad_Name");
  await page.getByRole("alert").filter({ hasText: "lowercase letters, digits and -" }).waitFor();
  await name.fill("shelf");
  await page.getByRole("button", { name: "Rename" }).click();
  await page.getByRole("status").filter({ hasText: "It answers as shelf now." }).waitFor();
  await address.filter({ hasText: `https://shelf.${DOMAIN}:${port}/` }).waitFor();
  app = await open(context, page);
  if (app.url() !== `https://shelf.${DOMAIN}:${port}/`) fail(`after the rename Open went to ${app.url()}`);
  await app.getByRole("heading", { name: "The pages app, by name" }).waitFor();
  await app.close();

  // Its port number taken off the host with the page's box: it is no longer
  // reached at the port, still opens by name; ticked again, the port is back.
  const status = () => JSON.parse(execFileSync(berth, ["--home", home, "status", APP, "--json"]).toString());
  const atPort = () => fetch("http://127.0.0.1:18531/").then((r) => r.ok, () => false);
  const hostPort = page.getByLabel("Also open it at a port number");
  if (!(await hostPort.isChecked())) fail("the host port box is not ticked for an app installed with a port");
  if (!(await atPort())) fail("the app does not answer at its host port 18531");
  await hostPort.click();
  await until("the host port to be off", () => status().hostPort === false, 60);
  await until("the box to be unticked", async () => !(await hostPort.isChecked()), 20);
  if (await atPort()) fail("the app still answers at its host port after the box was unticked");
  await shot(page, "host-port-off");
  app = await open(context, page);
  if (app.url() !== `https://shelf.${DOMAIN}:${port}/`) fail(`without a host port Open went to ${app.url()}`);
  await app.getByRole("heading", { name: "The pages app, by name" }).waitFor();
  await app.close();
  await hostPort.click();
  await until("the host port to be on", () => status().hostPort === true, 60);
  await until("the box to be ticked", () => hostPort.isChecked(), 20);
  await until("the app at its host port again", atPort, 20);

  // The login gate: on, a browser not logged in at Berth's name is asked to
  // log in there first, then lands on the app.
  await page.getByLabel("Require Berth login").click(); // ticked once the daemon says so
  await until("the gate to be on", async () => JSON.parse(execFileSync(berth, ["--home", home, "status", APP, "--json"]).toString()).gate === true, 20);
  await until("the gate's box to be ticked", () => page.getByLabel("Require Berth login").isChecked(), 20);
  await shot(page, "gate-on");
  app = await open(context, page);
  if (!app.url().startsWith(`https://berth.${DOMAIN}:${port}/gate?app=shelf`)) fail(`a gated app opened ${app.url()}, not Berth's gate`);
  await app.getByRole("heading", { name: "Log in to Berth" }).waitFor();
  await shot(app, "gate-login");
  await app.getByLabel("User name").fill("admin");
  await app.getByLabel("Password").fill(PASSWORD);
  await app.getByRole("button", { name: "Log in" }).click();
  await app.waitForURL(`https://shelf.${DOMAIN}:${port}/`);
  await app.getByRole("heading", { name: "The pages app, by name" }).waitFor();
  await shot(app, "gate-passed");
  const cookies = await context.cookies(`https://shelf.${DOMAIN}:${port}/`);
  const gate = cookies.find((c) => c.name === "berth_gate");
  if (!gate || !gate.httpOnly || gate.sameSite !== "Lax" || !gate.secure || gate.domain !== `shelf.${DOMAIN}`) fail(`the gate cookie is ${JSON.stringify(gate)}`);

  // Installed from the page with the host-port box unticked: the file's port
  // is not published on the host, and the app opens by its name.
  await page.goto(`${base}/#/apps/${APP}`);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "App store" }).click();
  await page.getByRole("button", { name: "Install your own…" }).click();
  const own = page.getByRole("dialog");
  await own.getByLabel("Compose file").fill(`services:\n  web:\n    image: ${IMAGE}\n    command: [sh, -c, "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]\n    volumes: ['./data:/www']\n    ports: ['18532:80']\n`);
  await own.locator('input[name="appId"]').fill(OWN);
  await own.locator('input[name="appName"]').fill("own");
  const ownPort = own.getByLabel("Also open it at a port number");
  if (!(await ownPort.isChecked())) fail("the install dialog's host-port box is not ticked by default");
  await ownPort.uncheck();
  await own.getByRole("button", { name: "Check" }).click();
  await own.getByTestId("compose-check").waitFor();
  await shot(page, "install-no-host-port");
  await own.getByRole("button", { name: "Install" }).click();
  const ownResult = own.getByTestId("compose-result");
  await until("the app without a host port to install", async () => (await ownResult.count()) > 0, 120);
  if ((await ownResult.innerText()).trim() !== `${OWN} is installed.`) fail(`the install ended with ${await ownResult.innerText()}`);
  const ownStatus = JSON.parse(execFileSync(berth, ["--home", home, "status", OWN, "--json"]).toString());
  if (ownStatus.hostPort !== false) fail(`installed with the box unticked, the app's hostPort is ${ownStatus.hostPort}`);
  const published = execFileSync("docker", ["ps", "--filter", `label=com.docker.compose.project=${OWN}`, "--format", "{{.Ports}}"]).toString();
  if (published.includes("18532")) fail(`the app's port is published on the host: ${published}`);
  if (await fetch("http://127.0.0.1:18532/").then(() => true, () => false)) fail("something answers at the app's port on the host");
  writeFileSync(join(home, "apps", OWN, "data", "index.html"), "<!doctype html><title>own</title><h1>No port, by name</h1>\n");
  await own.getByRole("link", { name: "Go to the app" }).click();
  await page.getByRole("heading", { name: OWN, exact: true }).waitFor();
  await page.getByTestId("app-address").filter({ hasText: `https://own.${DOMAIN}:${port}/` }).waitFor();
  app = await open(context, page);
  if (app.url() !== `https://own.${DOMAIN}:${port}/`) fail(`the app without a host port opened ${app.url()}`);
  await app.getByRole("heading", { name: "No port, by name" }).waitFor();
  await app.close();
  console.log("names end-to-end: ok");
} catch (e) {
  console.error(`names end-to-end FAILED: ${e.stack ?? e}`);
  console.error(`daemon log:\n${log.join("")}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  daemon.kill("SIGTERM");
  await sleep(500);
  cleanupDocker();
  rmSync(home, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (nss) rmSync(nss, { recursive: true, force: true });
}
