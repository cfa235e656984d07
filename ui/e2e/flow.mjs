// End to end in real headless Chromium (Debian's, driven by playwright-core)
// against a real `berth serve` on 127.0.0.1, the real Docker engine and the
// test store (a copy of tests/store, images from the local registry):
// setup → the home page → search → install a test app with a setting → progress
// reaches 100% → the app answers on its port → stop → start → shares made,
// and an app asking for shares installed with the ones picked in its dialog,
// then given another on its page → the Stores
// page (the built-in store listed, a store archive uploaded, refreshed,
// removed) → the Account page changes the password → logged in again with
// it, the home page shows the app's tile → a new version
// in the store → "Check for updates" finds it → update through the UI, data
// kept → roll back to the snapshot from the app's page → reclaim space (dry
// run) → uninstall keeping data → your own compose file (broken YAML
// refused in a sentence, a file chosen, checked in words, consent, install,
// then edited on its page and updated: the new environment in the
// container) → wrong password refused. On the way, while
// the app runs: its logs searched and downloaded, the server page (this
// machine's cores, the app's use), the app's resource charts, its
// diagnostics bundle downloaded, its limits changed live through the
// Limits form (the container not restarted; a memory above the host's
// refused in the page) and its data folder capped at 32 MiB (a loop mount)
// and uncapped again. Security: setup needs the code the daemon wrote into
// its home; an app opened from the UI (same host, another port: e2e/sniffer
// shows the request it got) receives Berth's session cookie, and replaying
// everything it received to the API is refused. A screenshot of every page
// goes to ui/e2e-output/; a blank page fails the test.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const berth = process.env.BERTH_BIN ?? join(repo, "target/debug/berth");
const browserPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const out = join(here, "../e2e-output");
const PASSWORD = "a long enough password";
const NEW_PASSWORD = "another long enough password";
const APP = "greeter";
const SNIFFER = "sniffer";
const OWN = "mine";
const OLD_VERSION = "1.1.0";
const NEW_VERSION = "1.2.0";
const RELEASE_NOTES = "Greets on the 1.0 image now.";

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
// The store is a copy, so the test can publish a new version of its app.
const store = join(mkdtempSync(join(tmpdir(), "berth-e2e-store-")), "store");
cpSync(join(repo, "tests/store"), store, { recursive: true });
const log = [];
// The daemon samples what apps use every second (not every 10), so the charts fill in quickly.
const daemon = spawn(berth, ["--home", home, "serve", "--listen", "127.0.0.1:0", "--proxy-listen", "none", "--proxy-tls-listen", "none"], {
  stdio: ["ignore", "ignore", "pipe"],
  env: { ...process.env, BERTH_STATS_SECS: "1" },
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
  for (const project of [APP, SNIFFER, OWN]) {
    try {
      const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).toString().split(/\s+/).filter(Boolean);
      if (ids.length) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
      execFileSync("docker", ["network", "rm", `${project}_default`], { stdio: "ignore" });
    } catch {
      /* nothing left */
    }
  }
}

try {
  cleanupDocker();
  const addrFile = join(home, "http.addr");
  const base = `http://${(await until("the daemon's web address", () => existsSync(addrFile) && readFileSync(addrFile, "utf8").trim()))}`;
  execFileSync(berth, ["--home", home, "catalog", "add", store, "--name", "test"]);
  console.log(`berth serve at ${base}, home ${home}`);

  browser = await chromium.launch({
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);

  // First run: create the admin, with the setup code from the daemon's home.
  await page.goto(base);
  await page.getByRole("heading", { name: "Welcome to Berth" }).waitFor();
  await shot(page, "setup");
  const setupCode = readFileSync(join(home, "setup-code"), "utf8").trim();
  await page.getByLabel("Setup code").fill("WRONG-CODE-0000");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong setup code" }).waitFor();
  await shot(page, "setup-wrong-code");
  await page.getByLabel("Setup code").fill(setupCode);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  // Setup lands on the home page: no apps yet.
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
  await page.getByText("No apps yet.").waitFor();
  await page.getByTestId("health-sentence").waitFor();
  await shot(page, "home-empty");
  const mainNav = page.getByRole("navigation", { name: "Main" });
  await mainNav.getByRole("link", { name: "App store" }).click();
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
  const answers = async (what) => {
    const answer = await until(what, async () => {
      try {
        const r = await fetch(href);
        return r.ok && (await r.text());
      } catch {
        return false;
      }
    });
    if (!answer.includes("Hello, browser")) fail(`the app at ${href} answered ${JSON.stringify(answer)} (${what})`);
    console.log(`  ${href} answers: ${answer.trim()}`);
  };
  await answers("the app to answer");

  // An app opened from the UI is on the same host (another port): the
  // browser sends it Berth's cookie. Replaying all it received to the API
  // must not work.
  execFileSync(berth, ["--home", home, "install", join(here, "sniffer/compose.yml"), "--id", SNIFFER]);
  const snifferRow = page.locator(`[data-app="${SNIFFER}"]`);
  await until("the sniffer to show in My apps", async () => (await snifferRow.count()) === 1 && (await page.getByTestId(`status-${SNIFFER}`).innerText()) === "running");
  const [appPage] = await Promise.all([context.waitForEvent("page"), snifferRow.getByRole("link", { name: "Open" }).click()]);
  const seen = await until("the sniffer to show what it received", async () => {
    try {
      await appPage.waitForLoadState();
      const text = await appPage.evaluate(() => document.body.innerText);
      return text.includes("REQUEST_METHOD=") && text;
    } catch {
      await sleep(300);
      await appPage.reload().catch(() => {});
      return false;
    }
  });
  await appPage.close();
  const received = Object.fromEntries(
    seen
      .split("\n")
      .filter((l) => l.startsWith("HTTP_"))
      .map((l) => [l.slice(5, l.indexOf("=")).toLowerCase().replaceAll("_", "-"), l.slice(l.indexOf("=") + 1)]),
  );
  if (!(received.cookie ?? "").includes("berth_session=")) fail(`the app did not receive Berth's cookie, so this test proves nothing: ${JSON.stringify(received)}`);
  if (Object.keys(received).some((h) => h.startsWith("x-berth"))) fail(`the app received Berth's session key: ${JSON.stringify(received)}`);
  const replayHeaders = { ...received, "content-type": "application/json" };
  // Headers fetch sets itself (or refuses to be given).
  for (const h of ["host", "connection", "keep-alive", "upgrade", "transfer-encoding", "expect", "content-length"]) delete replayHeaders[h];
  for (const command of ["apps", "secrets"]) {
    const replay = await fetch(`${base}/api/${command}`, { method: "POST", headers: replayHeaders, body: JSON.stringify(command === "secrets" ? { app: APP } : {}) });
    if (replay.status !== 401) fail(`replaying what an app received to /api/${command} answered ${replay.status}: ${await replay.text()}`);
  }
  console.log(`  an app opened from the UI got ${Object.keys(received).join(", ")}; replayed to the API: 401`);
  execFileSync(berth, ["--home", home, "uninstall", SNIFFER, "--purge-data", "--yes"]);
  await until("the sniffer to go", async () => (await snifferRow.count()) === 0);

  // Stop, start.
  await row.getByRole("button", { name: "Stop", exact: true }).click();
  await until("the app to stop", async () => (await status.innerText()) === "stopped");
  await shot(page, "stopped");
  await row.getByRole("button", { name: "Start", exact: true }).click();
  await until("the app to start again", async () => (await status.innerText()) === "running");

  // Shares: none at first; the usual set made in one click, each a folder
  // under the home; one removed, its folder kept.
  await mainNav.getByRole("link", { name: "Shares" }).click();
  await page.getByRole("heading", { name: "Shares", exact: true }).waitFor();
  await page.getByRole("button", { name: /Make the usual shares/ }).click();
  const sharesTable = page.getByTestId("shares-table");
  await sharesTable.locator('tr[data-share="Movies"]').waitFor();
  const shareCount = await sharesTable.locator("tbody tr").count();
  if (shareCount !== 7) fail(`the usual shares are ${shareCount}, not 7`);
  if (!existsSync(join(home, "shares", "Movies"))) fail("the Movies share has no folder");
  await shot(page, "shares");
  await sharesTable.locator('tr[data-share="TV"]').getByRole("button", { name: "Remove" }).click();
  const removeShare = page.getByRole("dialog");
  await removeShare.getByRole("heading", { name: "Remove the share TV?" }).waitFor();
  await removeShare.getByRole("button", { name: "Remove share" }).click();
  await until("the TV share to go", async () => (await sharesTable.locator('tr[data-share="TV"]').count()) === 0, 15);
  if (!existsSync(join(home, "shares", "TV"))) fail("removing a share deleted its folder");
  console.log("  shares: the usual seven made; one removed, its folder kept");

  // A folder copied as root (this test runs as root): the page warns that
  // the apps cannot use it; "Fix ownership" says exactly what it will
  // change, changes nothing before the confirmation, then gives the files
  // to the apps' 1000:1000. Then it is offered read-only over SMB.
  const rootCopy = mkdtempSync(join(tmpdir(), "berth-e2e-archive-"));
  writeFileSync(join(rootCopy, "film.txt"), "copied as root");
  execFileSync(berth, ["--home", home, "shares", "add", "Archive", rootCopy]);
  await page.reload();
  await page.getByRole("heading", { name: "Shares", exact: true }).waitFor();
  const archiveRow = sharesTable.locator('tr[data-share="Archive"]');
  await archiveRow.getByTestId("share-access-warning").waitFor({ timeout: 30000 });
  const warning = await archiveRow.getByTestId("share-access-warning").innerText();
  if (!warning.includes("cannot open this folder")) fail(`the Archive share's warning says: ${warning}`);
  await archiveRow.getByRole("button", { name: "Fix ownership" }).click();
  const fix = page.getByRole("dialog");
  const change = await fix.getByTestId("fix-ownership-change").innerText();
  if (!change.includes(rootCopy) || !change.includes("user 1000 and group 1000")) fail(`the fix's confirmation says: ${change}`);
  await shot(page, "fix-ownership");
  if (statSync(join(rootCopy, "film.txt")).uid !== 0) fail("owners changed before the confirmation");
  await fix.getByRole("button", { name: "Fix ownership" }).click();
  await until("the Archive warning to go", async () => (await archiveRow.getByTestId("share-access-warning").count()) === 0, 30);
  for (const p of [rootCopy, join(rootCopy, "film.txt")]) {
    const st = statSync(p);
    if (st.uid !== 1000 || st.gid !== 1000) fail(`${p} is ${st.uid}:${st.gid} after the fix, not 1000:1000`);
  }
  const fixedSaid = await page.getByTestId("shares-result").innerText();
  if (!fixedSaid.includes("now belong to the apps")) fail(`after the fix the page says: ${fixedSaid}`);
  await archiveRow.getByRole("combobox", { name: "Archive on the network" }).selectOption("read");
  await until("Archive to be offered read-only", () => {
    const listed = JSON.parse(execFileSync(berth, ["--home", home, "shares", "list", "--json"]).toString());
    return listed.find((s) => s.name === "Archive")?.smb === "read";
  }, 15);
  if ((await page.getByTestId("smb-state").innerText()) !== "Off") fail("SMB is not off by default");
  rmSync(rootCopy, { recursive: true, force: true });
  console.log("  shares: a root copy flagged, its ownership fixed after a confirmation, offered read-only over SMB");

  // An app that asks for shares: the install dialog offers the server's
  // shares for each (its suggestion chosen), the app sees the Books share's
  // files read-only; on its page its library is given Documents instead.
  writeFileSync(join(home, "shares", "Books", "atlas.txt"), "maps\n");
  writeFileSync(join(home, "shares", "Documents", "letter.txt"), "dear\n");
  await mainNav.getByRole("link", { name: "App store" }).click();
  await page.getByLabel("Search apps").fill("inbox");
  await page.locator('.app-card[href="#/app/test/shelf"]').click();
  await page.getByRole("heading", { name: "Shelf" }).waitFor();
  await page.getByRole("button", { name: "Install" }).click();
  const shelfDialog = page.getByRole("dialog");
  const library = shelfDialog.getByLabel("library");
  await until("the library picker to suggest Books", async () => (await library.inputValue()) === "Books", 15);
  if ((await shelfDialog.getByLabel("inbox").inputValue()) !== "Downloads") fail("the inbox picker does not suggest Downloads");
  const why = await shelfDialog.locator(".share-picker").innerText();
  if (!why.includes("never changes them") || !why.includes("read-only")) fail(`the picker does not say why and how: ${why}`);
  await shot(page, "install-shares");
  await shelfDialog.getByLabel("inbox").selectOption("");
  await shelfDialog.getByRole("button", { name: "Install" }).click();
  await shelfDialog.getByText("Shelf is installed.").waitFor({ timeout: 120000 });
  await shelfDialog.getByRole("link", { name: "Go to my apps" }).click();
  const shelfRow = page.locator('[data-app="shelf"]');
  await until("Shelf to run", async () => (await page.getByTestId("status-shelf").innerText()) === "running");
  const shelfHref = await shelfRow.getByRole("link", { name: "Open" }).getAttribute("href");
  const lists = async (file) =>
    until(`Shelf to list ${file}`, async () => {
      try {
        const r = await fetch(shelfHref);
        return r.ok && (await r.text()).trim() === file;
      } catch {
        return false;
      }
    });
  await lists("atlas.txt");
  const shelfContainer = execFileSync("docker", ["ps", "-q", "--filter", "label=com.docker.compose.project=shelf"]).toString().trim();
  try {
    execFileSync("docker", ["exec", shelfContainer, "sh", "-c", "echo x > /library/scribble"], { stdio: "pipe" });
    fail("the library share is writable, though Shelf only reads it");
  } catch (e) {
    if (!String(e.stderr).includes("Read-only")) fail(`writing the library failed otherwise: ${e.stderr}`);
  }
  await shelfRow.locator("a.app-name").click();
  const appShares = page.getByTestId("app-shares");
  await appShares.waitFor();
  const givenText = await appShares.innerText();
  if (!givenText.includes("library: Books") || !givenText.includes("inbox: none")) fail(`the app's page shows its shares as ${givenText}`);
  await page.getByRole("button", { name: "Change shares" }).click();
  await page.getByLabel("library").selectOption("Documents");
  await page.getByRole("button", { name: "Save shares" }).click();
  await until("the shares change to end", async () => (await page.getByTestId("app-shares-result").count()) > 0 && (await page.getByTestId("app-shares-result").innerText()).includes("changed"), 60);
  await lists("letter.txt");
  await shot(page, "app-shares");
  execFileSync(berth, ["--home", home, "uninstall", "shelf", "--purge-data", "--yes"]);
  console.log("  shares given to an app: chosen at install, read-only seen, changed on its page");

  // Stores: the built-in store and the test store listed; a store uploaded
  // as its archive (the browser's way: the server takes no path from the
  // web), refreshed, and removed again.
  await mainNav.getByRole("link", { name: "Stores" }).click();
  await page.getByRole("heading", { name: "Stores", exact: true }).waitFor();
  const storesTable = page.getByRole("table", { name: "Stores" });
  const storeRow = (name) => storesTable.locator(`tr[data-store="${name}"]`);
  await storeRow("berth").waitFor();
  const builtIn = await storeRow("berth").locator("td").allInnerTexts();
  if (builtIn[1] !== "Built in" || !/^\d+ apps/.test(builtIn[2])) fail(`the built-in store shows ${JSON.stringify(builtIn)}`);
  if ((await storeRow("berth").getByRole("button", { name: "Remove" }).count()) !== 0) fail("the built-in store can be removed");
  const testStore = await storeRow("test").locator("td").allInnerTexts();
  if (testStore[1] !== "Folder") fail(`the test store shows ${JSON.stringify(testStore)}`);
  await shot(page, "stores");
  const archive = join(dirname(store), "family-store.tar.gz");
  execFileSync("tar", ["czf", archive, "-C", dirname(store), "store"]);
  const importForm = page.getByRole("form", { name: "Import a CasaOS or Umbrel store" });
  await importForm.getByLabel(/Store archive/).setInputFiles(archive);
  await importForm.getByRole("button", { name: "Import store" }).click();
  const storesResult = page.getByTestId("stores-result");
  await until("the uploaded store to be added", async () => (await storesResult.count()) > 0 && /^family-store is added: \d+ apps?\.$/.test((await storesResult.innerText()).trim()), 30);
  await storeRow("family-store").waitFor();
  await shot(page, "stores-imported");
  await storeRow("family-store").getByRole("button", { name: "Refresh" }).click();
  await until("the store to be refreshed", async () => /^family-store is refreshed: \d+ apps?\.$/.test((await storesResult.innerText()).trim()), 30);
  await storeRow("family-store").getByRole("button", { name: "Remove" }).click();
  const removeStore = page.getByRole("dialog");
  await removeStore.getByRole("heading", { name: "Remove the store family-store?" }).waitFor();
  await removeStore.getByRole("button", { name: "Remove store" }).click();
  await until("the uploaded store to go", async () => (await storeRow("family-store").count()) === 0, 15);
  console.log(`  stores: ${(await storesTable.locator("tbody tr").count())} listed; an uploaded archive added, refreshed and removed`);

  // Account: a wrong current password refused; the right one changes it.
  await mainNav.getByRole("link", { name: "Account" }).click();
  await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
  const sessionRows = page.getByRole("table", { name: "Sessions" }).locator("tbody tr");
  await until("this session in the list", async () => (await sessionRows.count()) === 1 && (await sessionRows.first().innerText()).includes("(this one)"), 15);
  const passwordForm = page.getByRole("form", { name: "Change password" });
  await passwordForm.getByLabel("Current password").fill("not the password at all");
  await passwordForm.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await passwordForm.getByLabel("New password again").fill(NEW_PASSWORD);
  await passwordForm.getByRole("button", { name: "Change password" }).click();
  await passwordForm.getByRole("alert").filter({ hasText: "the current password is wrong" }).waitFor();
  await passwordForm.getByLabel("Current password").fill(PASSWORD);
  await passwordForm.getByRole("button", { name: "Change password" }).click();
  const passwordResult = page.getByTestId("password-result");
  await passwordResult.waitFor();
  if ((await passwordResult.innerText()).trim() !== "Your password is changed.") fail(`the password change says ${JSON.stringify(await passwordResult.innerText())}`);
  await shot(page, "account");

  // Logged in again with the new password, the home page shows the app's tile.
  await page.locator("header").getByRole("button", { name: /Log out/ }).click();
  await page.getByRole("heading", { name: "Log in to Berth" }).waitFor();
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong user name or password" }).waitFor();
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
  const tile = page.locator(`[data-tile="${APP}"]`);
  await tile.waitFor();
  await until("the tile to say running", async () => (await page.getByTestId(`tile-status-${APP}`).innerText()) === "running", 15);
  const tileHref = await tile.getByRole("link", { name: /^Open Greeter/ }).getAttribute("href");
  if (tileHref !== href) fail(`the home tile opens ${tileHref}, My apps opens ${href}`);
  await until("the tile's icon", async () => (await tile.locator("img").count()) === 1, 15);
  await shot(page, "home");
  await mainNav.getByRole("link", { name: "My apps" }).click();
  await until("the app to show in My apps again", async () => (await status.count()) === 1 && (await status.innerText()) === "running");

  // Logs. busybox httpd -f prints nothing, so the test writes a line to
  // the container's standard output, as a service would print it.
  const LOG_LINE = "Greeter ready: serving the page";
  const container = execFileSync("docker", ["ps", "-q", "--filter", `label=com.docker.compose.project=${APP}`]).toString().trim();
  if (!/^[0-9a-f]+$/.test(container)) fail(`expected one running container of ${APP}, found ${JSON.stringify(container)}`);
  execFileSync("docker", ["exec", container, "sh", "-c", `echo '${LOG_LINE}' > /proc/1/fd/1`]);
  await row.getByRole("link", { name: "Logs" }).click();
  await page.getByRole("heading", { name: `Logs of ${APP}` }).waitFor();
  const tail = page.getByLabel("Log lines");
  await until("the line to show in the latest lines", async () => (await tail.innerText()).includes(LOG_LINE), 15);
  await shot(page, "logs");

  // Search (the daemon's, in any case): a word of the line matches, highlighted; a missing one says so.
  const searchBox = page.getByLabel("Search the logs");
  const searchSummary = page.getByTestId("search-summary");
  const matchRows = page.getByRole("table", { name: "Matching lines" }).locator("tbody tr");
  await searchBox.fill("READY: SERVING");
  await until("the search to find the line", async () => (await searchSummary.count()) > 0 && (await searchSummary.innerText()).startsWith("1 line matches"), 15);
  const matchCells = await matchRows.first().locator("td").allInnerTexts();
  if (matchCells[1] !== "web" || matchCells[2] !== "stdout" || matchCells[3] !== LOG_LINE) fail(`the match shows ${JSON.stringify(matchCells)}`);
  if (!/\d/.test(matchCells[0])) fail(`the match has no time: ${JSON.stringify(matchCells)}`);
  const marked = await matchRows.first().locator("mark").allInnerTexts();
  if (JSON.stringify(marked) !== JSON.stringify(["ready: serving"])) fail(`the match highlights ${JSON.stringify(marked)}`);
  await shot(page, "logs-search");
  await searchBox.fill("no such line anywhere");
  await until("the search to find nothing", async () => (await searchSummary.innerText()).startsWith("No lines match “no such line anywhere”."), 15);
  if ((await matchRows.count()) !== 0) fail("a search for a missing line shows matches");
  await shot(page, "logs-search-none");

  // The whole log as a download: every line, stamped.
  const [logDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download logs" }).click()]);
  const logFile = join(out, "downloaded.log");
  await logDownload.saveAs(logFile);
  const logText = readFileSync(logFile, "utf8");
  if (!/^\d{4}-\d\d-\d\dT\S+ web stdout Greeter ready: serving the page$/m.test(logText)) fail(`the downloaded log is ${JSON.stringify(logText)}`);
  console.log(`  downloaded log ${logDownload.suggestedFilename()}: ${logText.length} bytes`);

  // The server page: this machine's cores, and what the app uses.
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Server" }).click();
  await page.getByRole("heading", { name: "Server", exact: true }).waitFor();
  const cores = (await page.getByTestId("cpu-cores").innerText()).trim();
  if (cores !== String(cpus().length)) fail(`the server page says ${cores} cores, this machine has ${cpus().length}`);
  const usageRow = page.getByRole("table", { name: "What apps use" }).locator(`tr[data-app="${APP}"]`);
  await usageRow.waitFor();
  const usageMemory = (await page.getByTestId(`memory-${APP}`).innerText()).trim();
  if (!/^\d+(\.\d)? (B|KB|MB) of 64 MB$/.test(usageMemory)) fail(`the server page shows ${APP} using ${JSON.stringify(usageMemory)} of memory`);
  for (const id of ["memory", "docker-version", "storage-driver", "berth-version"]) {
    if (!(await page.getByTestId(id).innerText()).trim()) fail(`the server page shows no ${id}`);
  }
  if ((await page.locator("[data-disk]").count()) < 1) fail("the server page shows no disk");
  console.log(`  server page: ${cores} cores, ${APP} uses ${usageMemory}`);
  await shot(page, "server");

  // The app's page: resource charts fill in (the daemon samples every second), its memory is not zero.
  await usageRow.getByRole("link", { name: APP }).click();
  await page.getByRole("heading", { name: "Resources" }).waitFor();
  await page.locator('[data-testid="chart-cpu"] .chart canvas').waitFor();
  await page.locator('[data-testid="chart-memory"] .chart canvas').waitFor();
  const appMemory = page.getByTestId("app-memory");
  await until("the app's memory to show", async () => {
    const m = /^(\d+(?:\.\d)?) (B|KB|MB|GB)$/.exec((await appMemory.innerText()).trim());
    return m && Number(m[1]) > 0;
  }, 30);
  await until("the charts to hold samples", async () => (await page.getByText("The charts fill in").count()) === 0, 30);
  if ((await page.getByRole("table", { name: "Use per service" }).locator('tr[data-service="web"]').count()) !== 1) fail("no row for the web service");
  console.log(`  app page: ${APP} uses ${await appMemory.innerText()} of memory`);
  await shot(page, "app-resources");

  // Diagnostics: a fresh .tar.gz download, secrets redacted.
  await page.getByText("secrets are redacted").waitFor();
  const [bundle] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download diagnostics" }).click()]);
  const bundleFile = join(out, bundle.suggestedFilename() || "diagnostics.tar.gz");
  await bundle.saveAs(bundleFile);
  const bundleBytes = readFileSync(bundleFile);
  if (bundleBytes.length === 0 || bundleBytes[0] !== 0x1f || bundleBytes[1] !== 0x8b) fail(`the diagnostics download is no gzip (${bundleBytes.length} bytes)`);
  const bundleFiles = execFileSync("tar", ["tzf", bundleFile]).toString();
  if (!bundleFiles.includes("compose.yml") || !bundleFiles.includes("logs/web.log")) fail(`the diagnostics bundle holds ${bundleFiles}`);
  const secret = JSON.parse(execFileSync(berth, ["--home", home, "secrets", APP, "--json"]).toString()).SECRET_TOKEN;
  if (!secret) fail("greeter has no generated secret");
  if (execFileSync("tar", ["xzOf", bundleFile]).toString().includes(secret)) fail("the diagnostics bundle holds the app's secret");
  console.log(`  diagnostics ${bundle.suggestedFilename()}: ${bundleBytes.length} bytes`);

  // Limits, live: 96 MiB and 1 CPU through the form (greeter starts with
  // 64 MiB and 0.5); the container keeps running, its start time the same.
  const inspectWeb = () =>
    execFileSync("docker", ["inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.State.StartedAt}}", `${APP}-web-1`]).toString().trim().split(" ");
  const [memoryBefore, cpusBefore, startedBefore] = inspectWeb();
  if (memoryBefore !== String(64 * 1024 * 1024) || cpusBefore !== "500000000") fail(`greeter starts with memory ${memoryBefore} and NanoCpus ${cpusBefore}`);
  let limitsCalls = 0;
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/limits") limitsCalls++;
  });
  const limitsSection = page.getByRole("region", { name: "Limits" });
  await limitsSection.scrollIntoViewIfNeeded();
  const shown = async () => Object.fromEntries(await Promise.all(["cpus", "memory", "memory-swap", "pids"].map(async (k) => [k, (await page.getByTestId(`limit-${k}`).innerText()).trim()])));
  const before = await shown();
  if (JSON.stringify(before) !== JSON.stringify({ cpus: "0.5", memory: "64 MB", "memory-swap": "twice the memory (128 MB)", pids: "unlimited" })) fail(`the Limits section shows ${JSON.stringify(before)}`);
  const limitsForm = page.getByRole("form", { name: "Change limits" });
  const memoryInput = limitsForm.locator('input[name="memory"]');
  const cpusInput = limitsForm.locator('input[name="cpus"]');
  if ((await memoryInput.inputValue()) !== "64m" || (await cpusInput.inputValue()) !== "0.5") fail("the Limits form does not start with the limits in force");
  if ((await cpusInput.getAttribute("max")) !== String(cpus().length)) fail(`the CPUs input allows up to ${await cpusInput.getAttribute("max")}`);
  // More memory than the host has: refused in the page, nothing sent.
  await memoryInput.fill("100000g");
  await limitsForm.getByRole("button", { name: "Apply (no restart)" }).click();
  const limitsProblems = page.getByTestId("limits-problems");
  await limitsProblems.waitFor({ timeout: 5000 });
  const refusal = (await limitsProblems.innerText()).trim();
  if (!/^98 TB of memory is more than this server has \(\d+(\.\d)? GB\)\.$/.test(refusal)) fail(`the form refused 100000g with ${JSON.stringify(refusal)}`);
  await sleep(300);
  if (limitsCalls !== 0) fail(`the form sent ${limitsCalls} limits call(s) for a memory above the host's`);
  console.log(`  limits: 100000g refused in the page: ${refusal}`);
  await shot(page, "limits-refused");
  await memoryInput.fill("96m");
  await cpusInput.fill("1");
  await limitsForm.getByRole("button", { name: "Apply (no restart)" }).click();
  const limitsResult = page.getByTestId("limits-result");
  await limitsResult.waitFor({ timeout: 30000 }).catch(async () =>
    fail(`no limits result; the page says ${JSON.stringify(await limitsSection.innerText())}`),
  );
  const limitsSentence = (await limitsResult.innerText()).trim();
  if (limitsSentence !== "Changed live: web.") fail(`the limits change ended with ${JSON.stringify(limitsSentence)}`);
  if (limitsCalls !== 1) fail(`the form sent ${limitsCalls} limits calls`);
  const [memoryAfter, cpusAfter, startedAfter] = inspectWeb();
  if (memoryAfter !== "100663296" || cpusAfter !== "1000000000") fail(`after the change the container has memory ${memoryAfter} and NanoCpus ${cpusAfter}`);
  if (startedAfter !== startedBefore) fail(`the container was restarted for the limits: started ${startedBefore}, now ${startedAfter}`);
  console.log(`  limits: ${limitsSentence} memory ${memoryAfter}, NanoCpus ${cpusAfter}, still started at ${startedAfter}`);
  // The app's page loaded afresh shows them. (In a second tab: a page
  // loaded on the app page never gets network-idle, its event stream open,
  // and every later screenshot would wait for it.)
  const fresh = await context.newPage();
  await fresh.goto(page.url());
  await fresh.getByRole("region", { name: "Limits" }).waitFor();
  const freshLimits = async () => Object.fromEntries(await Promise.all(["cpus", "memory", "memory-swap"].map(async (k) => [k, (await fresh.getByTestId(`limit-${k}`).innerText()).trim()])));
  await until("a fresh load of the page to show the new limits", async () => {
    const now = await freshLimits();
    return now.cpus === "1" && now.memory === "96 MB" && now["memory-swap"] === "twice the memory (192 MB)";
  }, 15);
  if ((await fresh.locator('input[name="memory"]').inputValue()) !== "96m") fail("a fresh Limits form does not hold the new memory");
  await fresh.close();
  await until("the page to show the new limits", async () => (await shown()).memory === "96 MB", 15);
  await until("the app to still run", async () => (await page.getByTestId("app-status").innerText()) === "running", 15);
  await limitsSection.scrollIntoViewIfNeeded();
  await shot(page, "limits");

  // A disk cap of 32 MiB: confirmed (the app restarts), its data folder a
  // loop mount; then removed (confirmed), unmounted again.
  const dataFolder = join(home, "apps", APP, "data");
  const mounted = () => readFileSync("/proc/self/mounts", "utf8").split("\n").some((l) => l.split(" ")[1] === dataFolder);
  if (mounted()) fail(`${dataFolder} is mounted before any cap`);
  const diskUsage = page.getByTestId("disk-usage");
  await until("the app's disk to show", async () => (await diskUsage.count()) > 0 && /used, not capped$/.test(await diskUsage.innerText()), 30);
  const diskForm = page.getByRole("form", { name: "Disk cap" });
  await diskForm.locator('input[name="diskCap"]').fill("32m");
  await diskForm.getByRole("button", { name: "Set cap" }).click();
  const capConfirm = page.getByRole("dialog");
  await capConfirm.getByRole("heading", { name: `Cap the disk of ${APP} at 32 MB?` }).waitFor();
  await shot(page, "disk-cap-confirm");
  await capConfirm.getByRole("button", { name: "Cap and restart" }).click();
  const diskResult = page.getByTestId("disk-result");
  await diskResult.waitFor({ timeout: 180000 }).catch(async () => fail(`no disk cap result; the page says ${JSON.stringify(await limitsSection.innerText())}\n${log.join("")}`));
  const capSentence = (await diskResult.innerText()).trim();
  if (capSentence !== "The disk is capped at 32 MB. The app was restarted for this.") fail(`the disk cap ended with ${JSON.stringify(capSentence)}`);
  const capText = (await diskUsage.innerText()).trim();
  if (!/^\d+(\.\d)? (B|KB|MB) of 32 MB$/.test(capText)) fail(`the capped disk shows ${JSON.stringify(capText)}`);
  if ((await limitsSection.getByRole("meter", { name: `${APP}: disk used of its cap` }).count()) !== 1) fail("no usage bar for the capped disk");
  if (!mounted()) fail(`${dataFolder} is not mounted after the cap:\n${readFileSync("/proc/self/mounts", "utf8")}`);
  console.log(`  disk cap: ${capText}, ${dataFolder} mounted`);
  await until("the app to run after the cap", async () => (await page.getByTestId("app-status").innerText()) === "running", 30);
  await answers("the app to answer on its capped disk");
  await limitsSection.scrollIntoViewIfNeeded();
  await shot(page, "disk-capped");
  await limitsSection.getByRole("button", { name: "Remove cap" }).click();
  const uncapConfirm = page.getByRole("dialog");
  await uncapConfirm.getByRole("heading", { name: `Remove the disk cap of ${APP}?` }).waitFor();
  await uncapConfirm.getByRole("button", { name: "Remove cap and restart" }).click();
  await until("the cap to go", async () => (await diskResult.count()) > 0 && (await diskResult.innerText()).trim() === "The disk cap is removed. The app was restarted for this.", 180);
  await until("the disk to show no cap", async () => /used, not capped$/.test(await diskUsage.innerText()), 15);
  if (mounted()) fail(`${dataFolder} is still mounted after the cap was removed`);
  console.log(`  disk cap removed: ${(await diskUsage.innerText()).trim()}, ${dataFolder} unmounted`);
  await until("the app to run after the cap went", async () => (await page.getByTestId("app-status").innerText()) === "running", 30);
  await answers("the app to answer without a cap");

  // History renders.
  await nav.getByRole("link", { name: "History" }).click();
  await page.getByRole("cell", { name: "install" }).first().waitFor();
  await shot(page, "history");

  // A new version in the store: "Check for updates" finds it, the update
  // runs through the UI and keeps the app's data.
  const versionOfApp = () =>
    JSON.parse(execFileSync(berth, ["--home", home, "status", APP, "--json"]).toString()).source;
  const dataDir = join(home, "apps", APP, "data", "site");
  if (!existsSync(dataDir)) fail(`no data folder at ${dataDir}`);
  writeFileSync(join(dataDir, "note.txt"), "written before the update\n");
  const appYml = join(store, APP, "app.yml");
  const meta = readFileSync(appYml, "utf8");
  if (!meta.includes(`version: ${OLD_VERSION}\n`) || !/^release_notes: .*$/m.test(meta)) fail(`unexpected ${appYml}:\n${meta}`);
  writeFileSync(appYml, meta.replace(`version: ${OLD_VERSION}\n`, `version: ${NEW_VERSION}\n`).replace(/^release_notes: .*$/m, `release_notes: ${RELEASE_NOTES}`));
  const composeYml = join(store, APP, "compose.yml");
  const compose = readFileSync(composeYml, "utf8");
  if (!compose.includes("berth-test/box:1.1")) fail(`unexpected ${composeYml}:\n${compose}`);
  writeFileSync(composeYml, compose.replace("berth-test/box:1.1", "berth-test/box:1.0"));
  execFileSync(berth, ["--home", home, "catalog", "index", store]);
  execFileSync(berth, ["--home", home, "catalog", "refresh", "test"]);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My apps" }).click();
  await page.getByRole("heading", { name: "My apps" }).waitFor();
  await until("the app to run before the update", async () => (await status.innerText()) === "running");
  await page.getByRole("button", { name: "Check for updates" }).click();
  const badge = page.getByTestId("updates-badge");
  await until("the updates badge to show 1", async () => (await badge.count()) > 0 && (await badge.innerText()).trim().startsWith("1"), 60);
  const updateButton = row.getByRole("button", { name: `Update to ${NEW_VERSION}` });
  await until(`the "Update to ${NEW_VERSION}" button`, async () => (await updateButton.count()) === 1);
  const notes = await updateButton.getAttribute("title");
  if (notes !== RELEASE_NOTES) fail(`the update button's release notes are ${JSON.stringify(notes)}`);
  await shot(page, "update-available");
  await updateButton.click();
  const opDialog = page.getByRole("dialog");
  await opDialog.getByRole("heading", { name: `Updating ${APP}` }).waitFor();
  const result = opDialog.getByTestId("operation-result");
  await until("the update to finish", async () => (await result.count()) > 0, 180);
  const updated = (await result.innerText()).trim();
  if (updated !== `Updated to ${NEW_VERSION}.`) fail(`the update ended with ${JSON.stringify(updated)}`);
  const updatePercent = (await opDialog.getByTestId("update-percent").innerText()).trim();
  if (updatePercent !== "100%") fail(`the update's progress ended at ${updatePercent}`);
  const updateSteps = await opDialog.locator(".steplog li").allInnerTexts();
  for (const s of ["snapshot", "swap", "health", "commit"]) {
    if (!updateSteps.includes(`Step: ${s}`)) fail(`the update's step log misses ${s}: ${updateSteps}`);
  }
  await shot(page, "update-done");
  await opDialog.getByRole("button", { name: "Close" }).click();
  await until("the update dialog to close", async () => (await page.getByRole("dialog").count()) === 0, 10);
  if (versionOfApp() !== `test/${APP}@${NEW_VERSION}`) fail(`after the update berth status says ${versionOfApp()}`);
  await until(`My apps to show version ${NEW_VERSION}`, async () => (await page.getByTestId(`version-${APP}`).innerText()) === `Version ${NEW_VERSION}`, 15);
  await until("the badge to go once updated", async () => (await badge.count()) === 0, 30);
  await until("the app to run after the update", async () => (await status.innerText()) === "running");
  await answers("the updated app to answer");
  const image = execFileSync("docker", ["ps", "--filter", `label=com.docker.compose.project=${APP}`, "--format", "{{.Image}}"]).toString().trim();
  if (!image.endsWith("berth-test/box:1.0")) fail(`after the update the app runs ${JSON.stringify(image)}`);
  if (readFileSync(join(dataDir, "note.txt"), "utf8") !== "written before the update\n") fail("the update lost the app's data");
  writeFileSync(join(dataDir, "after-update.txt"), "written after the update\n");
  await shot(page, "updated");

  // The app's page: its version, the snapshot the update took; roll back to it.
  await row.getByRole("link", { name: APP, exact: true }).click();
  await page.getByRole("heading", { name: APP, exact: true }).waitFor();
  const appVersion = page.getByTestId("app-version");
  await until(`the app page to show version ${NEW_VERSION}`, async () => (await appVersion.innerText()) === `Version ${NEW_VERSION}`, 15);
  const snapshots = page.getByRole("table", { name: "Snapshots" });
  await until("a snapshot in the table", async () => (await snapshots.locator("tbody tr").count()) === 1, 15);
  const snapshotRow = snapshots.locator("tbody tr").first();
  const snapshotCells = await snapshotRow.locator("td").allInnerTexts();
  if (snapshotCells[1] !== OLD_VERSION) fail(`the snapshot holds ${JSON.stringify(snapshotCells)}`);
  await shot(page, "app-updated");
  await snapshotRow.getByRole("button", { name: "Roll back to this" }).click();
  const confirm = page.getByRole("dialog");
  await confirm.getByRole("heading", { name: `Roll back ${APP}?` }).waitFor();
  await shot(page, "rollback-confirm");
  await confirm.getByRole("button", { name: "Roll back", exact: true }).click();
  const rbDialog = page.getByRole("dialog");
  await rbDialog.getByRole("heading", { name: `Rolling back ${APP}` }).waitFor();
  const rbResult = rbDialog.getByTestId("operation-result");
  await until("the rollback to finish", async () => (await rbResult.count()) > 0, 180);
  const rolledBack = (await rbResult.innerText()).trim();
  if (rolledBack !== `Rolled back to ${OLD_VERSION}.`) fail(`the rollback ended with ${JSON.stringify(rolledBack)}`);
  const rbPercent = (await rbDialog.getByTestId("rollback-percent").innerText()).trim();
  if (rbPercent !== "100%") fail(`the rollback's progress ended at ${rbPercent}`);
  await shot(page, "rollback-done");
  await rbDialog.getByRole("button", { name: "Close" }).click();
  await until("the rollback dialog to close", async () => (await page.getByRole("dialog").count()) === 0, 10);
  if (versionOfApp() !== `test/${APP}@${OLD_VERSION}`) fail(`after the rollback berth status says ${versionOfApp()}`);
  await until(`the app page to show version ${OLD_VERSION}`, async () => (await appVersion.innerText()) === `Version ${OLD_VERSION}`, 15);
  const history = page.getByRole("table", { name: "Update history" });
  await until("the update history to show the rollback and the update", async () => {
    const rows = await history.locator("tbody tr").allInnerTexts();
    return rows.length === 2 && /^.*\tRollback\tDone/.test(rows[0]) && /^.*\tUpdate\tDone/.test(rows[1]);
  }, 15);
  await until("a second snapshot (taken before the rollback)", async () => (await snapshots.locator("tbody tr").count()) === 2, 15);
  const newest = await snapshots.locator("tbody tr").first().locator("td").allInnerTexts();
  if (newest[1] !== NEW_VERSION || newest[3] !== `before rolling back to ${OLD_VERSION}`) fail(`the rollback's snapshot shows ${JSON.stringify(newest)}`);
  // The new version is still in the store: the check offers it again.
  await until(`the app page to offer ${NEW_VERSION} again`, async () => (await page.getByRole("button", { name: `Update to ${NEW_VERSION}` }).count()) === 1, 60);
  await shot(page, "app-rolled-back");
  await answers("the rolled-back app to answer");
  const imageBack = execFileSync("docker", ["ps", "--filter", `label=com.docker.compose.project=${APP}`, "--format", "{{.Image}}"]).toString().trim();
  if (!imageBack.endsWith("berth-test/box:1.1")) fail(`after the rollback the app runs ${JSON.stringify(imageBack)}`);
  if (readFileSync(join(dataDir, "note.txt"), "utf8") !== "written before the update\n") fail("the rollback lost the app's data");
  if (existsSync(join(dataDir, "after-update.txt"))) fail("the rollback did not bring the data back as it was before the update");

  // Backups: a folder target added in the page (its password shown once), the
  // app backed up with its steps shown, a file changed, then the app restored
  // from the backup in the restore dialog: the file is as it was.
  await nav.getByRole("link", { name: "Backups" }).click();
  await page.getByRole("heading", { name: "Backups", exact: true }).waitFor();
  const backupFolder = join(mkdtempSync(join(tmpdir(), "berth-e2e-backups-")), "repo");
  await page.locator('input[name="target-folder"]').fill(backupFolder);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const passwordCard = page.getByTestId("backup-password");
  await passwordCard.waitFor();
  const shownPassword = (await passwordCard.locator("pre").innerText()).trim();
  if (!/^[0-9a-f]{64}$/.test(shownPassword)) fail(`the backup password shown is ${shownPassword}`);
  if (readFileSync(join(home, "backup", "password"), "utf8").trim() !== shownPassword) fail("the password shown is not the one kept");
  if (!existsSync(join(backupFolder, "config"))) fail("no restic repository in the target folder");
  await passwordCard.getByRole("button", { name: "I have kept a copy" }).click();
  await page.getByTestId("targets-table").getByText(backupFolder).waitFor();
  const marker = join(home, "apps", APP, "data", "backup-marker.txt");
  writeFileSync(marker, "as backed up\n");
  const backupRow = page.getByTestId("backup-apps").locator(`tr[data-app="${APP}"]`);
  await backupRow.getByRole("button", { name: "Back up now" }).click();
  const backupsSaid = page.getByTestId("backups-result");
  await until("the backup to end", async () => (await backupsSaid.count()) > 0 && (await backupsSaid.innerText()).includes("Backed up to folder"), 120);
  console.log(`  backup: ${await backupsSaid.innerText()}`);
  await until("the app's row to say it was backed up", async () => (await backupRow.getByTestId("backup-health").innerText()).startsWith("Last backed up today"), 15);
  // The schedule: every app daily at 03:00 by default; moved to 04:30 in the page.
  const scheduleSentence = page.getByTestId("schedule-sentence");
  if (!(await scheduleSentence.innerText()).includes("daily at 03:00")) fail(`the schedule says ${await scheduleSentence.innerText()}`);
  await page.locator('input[name="schedule-at"]').fill("04:30");
  await page.getByRole("button", { name: "Save schedule" }).click();
  await until("the schedule to say 04:30", async () => (await scheduleSentence.innerText()).includes("daily at 04:30"), 15);
  const kept = JSON.parse(execFileSync(berth, ["--home", home, "backup", "schedule", "--json"]).toString());
  if (kept.schedule.all.at !== "04:30") fail(`the daemon's schedule is ${JSON.stringify(kept.schedule.all)}`);
  // The app's shares in its backups: off by default, turned on in its row.
  const withShares = backupRow.getByRole("checkbox", { name: "With its shares" });
  if (await withShares.isChecked()) fail("the app's backups hold its shares before it was asked");
  await withShares.click(); // ticked once the daemon says so
  await until("the shares box to be ticked", () => withShares.isChecked(), 15);
  await until("the page to say the shares go in", async () => (await backupsSaid.innerText()).includes("hold its shares"), 15);
  const withThem = JSON.parse(execFileSync(berth, ["--home", home, "backup", "schedule", "--json"]).toString());
  if (withThem.schedule.apps?.[APP]?.includeShares !== true) fail(`the daemon's schedule for ${APP} is ${JSON.stringify(withThem.schedule.apps)}`);
  await shot(page, "backups");
  writeFileSync(marker, "changed after the backup\n");
  await backupRow.getByRole("button", { name: "Restore…" }).click();
  const restoreDialog = page.getByRole("dialog", { name: `Restore ${APP}` });
  await restoreDialog.getByTestId("restore-choices").waitFor();
  await restoreDialog.getByRole("button", { name: "Restore", exact: true }).click();
  await until("the restore to end", async () => (await backupsSaid.count()) > 0 && (await backupsSaid.innerText()).includes("restored"), 180);
  if (readFileSync(marker, "utf8") !== "as backed up\n") fail(`after the restore the file holds ${readFileSync(marker, "utf8")}`);
  // One file put back from the Files dialog: browsed to, ticked, put back; the
  // file it replaced is kept, as the result says.
  writeFileSync(marker, "changed again\n");
  await backupRow.getByRole("button", { name: "Files…" }).click();
  const filesDialog = page.getByRole("dialog", { name: `Files of ${APP}'s backups` });
  const filesTable = filesDialog.getByTestId("backup-files");
  await filesTable.getByRole("button", { name: "data/" }).click();
  await filesDialog.getByRole("checkbox", { name: "Put back data/backup-marker.txt" }).check();
  await filesDialog.getByRole("button", { name: "Put back" }).click();
  const filesSaid = filesDialog.getByTestId("files-result");
  await until("the file to be put back", async () => (await filesSaid.count()) > 0, 60);
  const filesText = await filesSaid.innerText();
  if (!filesText.includes("Put back 1 file") || !filesText.includes("kept in")) fail(`the Files dialog says ${filesText}`);
  if (readFileSync(marker, "utf8") !== "as backed up\n") fail(`after putting it back the file holds ${readFileSync(marker, "utf8")}`);
  await filesDialog.getByRole("button", { name: "Close" }).click();
  await page.evaluate((app) => (window.location.hash = `#/apps/${app}`), APP);
  console.log("  backups: a folder target added, the app backed up (its row says so), the schedule moved to 04:30, its shares turned on for the app, the app restored from the page; its file as backed up; one file put back from the Files dialog");

  // Reclaim space: a dry run says what a cleanup would free.
  await page.getByRole("link", { name: "← My apps" }).click();
  await page.getByRole("heading", { name: "My apps" }).waitFor();
  await page.getByRole("button", { name: "Reclaim space" }).click();
  const summary = page.getByTestId("reclaim-summary");
  await summary.waitFor({ timeout: 60000 }).catch(() => fail(`no reclaim summary\n${log.join("")}`));
  const summaryText = (await summary.innerText()).trim();
  if (!/^(Nothing to free|\S+ \S+ in \d+ images? can be freed)(; [^;]+)*\.$/.test(summaryText)) fail(`the reclaim summary is ${JSON.stringify(summaryText)}`);
  console.log(`  reclaim space (dry run): ${summaryText}`);
  await shot(page, "reclaim-space");

  // Uninstall, keeping data.
  await page.getByRole("link", { name: "My apps" }).click();
  await row.getByRole("button", { name: "Uninstall" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Uninstall", exact: true }).click();
  await until("the app to be gone", async () => (await page.locator(`[data-app="${APP}"]`).count()) === 0);
  await shot(page, "uninstalled");
  if (!existsSync(join(home, "apps", APP, "data", "site", "www", "index.html"))) fail("uninstall lost the app's data");

  // Your own compose file: broken YAML is one sentence; a file chosen in
  // the browser is checked (its finding in words), needs the consent box,
  // installs with progress; then its page edits the compose text and updates.
  const ownCompose = (greeting) =>
    `name: ${OWN}\nservices:\n  web:\n    image: 127.0.0.1:5000/berth-test/box:1.0\n    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo \\"$$GREETING\\" > /www/index.html; httpd -f -p 80 -h /www & wait"]\n    environment:\n      GREETING: ${greeting}\n    cap_add: [SYS_NICE]\n    ports:\n      - "18598:80"\n`;
  const ownAnswers = async (greeting) => {
    const port = JSON.parse(execFileSync(berth, ["--home", home, "status", OWN, "--json"]).toString()).openPort;
    const answer = await until(`${OWN} to answer ${greeting}`, async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        return r.ok && (await r.text()).trim() === greeting;
      } catch {
        return false;
      }
    });
    if (!answer) fail(`${OWN} does not answer ${greeting}`);
  };
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "App store" }).click();
  await page.getByRole("heading", { name: "App store" }).waitFor();
  await page.getByRole("button", { name: "Install your own…" }).click();
  const own = page.getByRole("dialog");
  await own.getByRole("heading", { name: "Install your own app" }).waitFor();
  await own.getByLabel("Compose file").fill("services:\n  web:\n    image: [x\n");
  await own.getByRole("button", { name: "Check" }).click();
  await own.getByRole("alert").filter({ hasText: "compose.yml: invalid YAML" }).waitFor();
  await own.getByLabel("Or choose a file").setInputFiles({ name: "compose.yml", mimeType: "text/yaml", buffer: Buffer.from(ownCompose("hello")) });
  await until("the chosen file in the text box", async () => (await own.getByLabel("Compose file").inputValue()) === ownCompose("hello"), 10);
  await own.getByRole("button", { name: "Install" }).click();
  await own.getByRole("alert").filter({ hasText: "Check the file first" }).waitFor();
  await own.getByRole("button", { name: "Check" }).click();
  const found = own.getByTestId("compose-check");
  await found.waitFor();
  const foundText = await found.innerText();
  for (const words of [`App id: ${OWN}`, "Extra Linux capabilities", "SYS_NICE capability", "Needs your consent", "box:1.0"]) {
    if (!foundText.includes(words)) fail(`the check of the compose file does not say ${JSON.stringify(words)}: ${foundText}`);
  }
  await shot(page, "own-compose-checked");
  await own.getByRole("button", { name: "Install" }).click();
  await own.getByRole("alert").filter({ hasText: "Tick the box" }).waitFor();
  await own.getByLabel("I allow what this app asks of my server").check();
  await own.getByRole("button", { name: "Install" }).click();
  const ownResult = own.getByTestId("compose-result");
  await until("the own compose file to install", async () => (await ownResult.count()) > 0, 180);
  if ((await ownResult.innerText()).trim() !== `${OWN} is installed.`) fail(`the own install ended with ${await ownResult.innerText()}`);
  if ((await own.getByTestId("install-percent").innerText()).trim() !== "100%") fail("the own install's progress did not reach 100%");
  await shot(page, "own-compose-installed");
  await ownAnswers("hello");
  await own.getByRole("link", { name: "Go to the app" }).click();
  await page.getByRole("heading", { name: OWN, exact: true }).waitFor();
  await page.getByRole("button", { name: "Edit compose" }).click();
  const edit = page.getByRole("dialog");
  await edit.getByRole("heading", { name: `Edit the compose file of ${OWN}` }).waitFor();
  if ((await edit.getByLabel("Compose file").inputValue()) !== ownCompose("hello")) fail("Edit compose does not show the installed text");
  await edit.getByLabel("Compose file").fill(ownCompose("bonjour"));
  await edit.getByRole("button", { name: "Check" }).click();
  await edit.getByTestId("compose-check").filter({ hasText: "You allowed this before." }).waitFor();
  if ((await edit.getByLabel("I allow what this app asks of my server").count()) !== 0) fail("consent asked again for what was allowed");
  await shot(page, "own-compose-edited");
  await edit.getByRole("button", { name: "Update" }).click();
  const editResult = edit.getByTestId("compose-result");
  await until("the update to the edited compose file", async () => (await editResult.count()) > 0, 180);
  if ((await editResult.innerText()).trim() !== `${OWN} runs the edited compose file.`) fail(`the edit's update ended with ${await editResult.innerText()}`);
  if ((await edit.getByTestId("update-percent").innerText()).trim() !== "100%") fail("the edit's update progress did not reach 100%");
  const ownEnv = execFileSync("docker", ["ps", "--filter", `label=com.docker.compose.project=${OWN}`, "--format", "{{.Names}}"]).toString().trim();
  const env = execFileSync("docker", ["inspect", "-f", "{{json .Config.Env}}", ownEnv]).toString();
  if (!env.includes("GREETING=bonjour")) fail(`after the edit ${OWN} runs with ${env}`);
  await ownAnswers("bonjour");
  await shot(page, "own-compose-updated");
  await edit.getByRole("button", { name: "Close" }).click();
  await until("the edit dialog to close", async () => (await page.getByRole("dialog").count()) === 0, 10);

  // Log out; a wrong password is refused, the right one lets in.
  await page.getByRole("button", { name: /Log out/ }).click();
  await page.getByRole("heading", { name: "Log in to Berth" }).waitFor();
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "wrong user name or password" }).waitFor();
  await shot(page, "login-refused");
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Home", exact: true }).waitFor();
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
  // A disk cap the test left (it failed half way) is unmounted before its folder goes.
  const leftMounted = readFileSync("/proc/self/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]).filter((m) => m && m.startsWith(`${home}/`));
  for (const m of leftMounted.reverse()) {
    try {
      execFileSync("umount", [m], { stdio: "ignore" });
    } catch {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        console.error(`could not unmount ${m}`);
      }
    }
  }
  try {
    execFileSync("docker", ["volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${APP}`]);
  } catch {
    /* ignore */
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(dirname(store), { recursive: true, force: true });
}
