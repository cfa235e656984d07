// The desktop app end to end, under Xvfb: tauri-driver and WebKitWebDriver
// launch the real berth-desktop on a temporary home against the real Docker
// engine; the test installs an app from the test store through the window,
// sees it running (and in Docker), uninstalls it, and saves a screenshot of
// the main window, checked non-blank. Then in client mode: a `berth serve`
// owns the home, the app connects to it (its window title says so), installs
// the app and updates it to a newer store version, the update's progress and
// its `finished` event reaching the window.
// Run with: xvfb-run -a node src-tauri/e2e/desktop.mjs
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inflateSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const app = process.env.BERTH_DESKTOP_BIN ?? join(repo, "target/debug/berth-desktop");
const berth = process.env.BERTH_BIN ?? join(repo, "target/debug/berth");
const driverBin = process.env.TAURI_DRIVER ?? join(homedir(), ".cargo/bin/tauri-driver");
const out = join(here, "../e2e-output");
const APP = "greeter";
const fail = (m) => {
  throw new Error(m);
};
for (const [what, path, fix] of [
  ["berth-desktop", app, "cargo build -p berth-desktop"],
  ["berth", berth, "cargo build -p berth-cli"],
  ["tauri-driver", driverBin, "cargo install tauri-driver --locked"],
  ["WebKitWebDriver", "/usr/bin/WebKitWebDriver", "apt-get install webkit2gtk-driver"],
]) {
  if (!existsSync(path)) fail(`${what} is missing at ${path}: ${fix}`);
}
if (!process.env.DISPLAY) fail("no X display: run this under xvfb-run -a (apt-get install xvfb xauth)");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, seconds = 60) {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await check().catch(() => false);
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await sleep(250);
  }
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

// A home that already knows the test store, a copy the test can publish a
// new version in (added through a short-lived berth serve).
const home = mkdtempSync(join(tmpdir(), "berth-desktop-e2e-"));
const store = join(home, "test-store");
cpSync(join(repo, "tests/store"), store, { recursive: true });
const socketUp = () =>
  new Promise((ok) => {
    const s = connect(join(home, "berth.sock"), () => ok(!!s.end()));
    s.on("error", () => ok(false));
  });
/** Starts berth serve on the home, again while a closing window still owns it. */
const serve = async () => {
  let daemon;
  let log = "";
  const end = Date.now() + 30_000;
  while (!(await socketUp())) {
    if (Date.now() > end) fail(`berth serve did not start: ${log}`);
    if (!daemon || daemon.exitCode !== null) {
      daemon = spawn(berth, ["--home", home, "serve", "--listen", "none", "--proxy-listen", "none", "--proxy-tls-listen", "none"], { stdio: ["ignore", "ignore", "pipe"] });
      daemon.stderr.on("data", (d) => (log += d));
    }
    await sleep(250);
  }
  return daemon;
};
const stopServe = async (daemon) => {
  daemon.kill("SIGTERM");
  if (daemon.exitCode === null) await new Promise((r) => daemon.on("exit", r));
};
{
  const daemon = await serve();
  execFileSync(berth, ["--home", home, "catalog", "add", store, "--name", "test"]);
  await stopServe(daemon);
}

const driver = spawn(driverBin, [], { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, BERTH_HOME: home } });
const W = "http://127.0.0.1:4444";
async function wd(method, path, body) {
  const r = await fetch(`${W}${path}`, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const data = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${JSON.stringify(data.value ?? data)}`);
  return data.value;
}
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
let session;
const find = async (css) => (await wd("POST", `/session/${session}/element`, { using: "css selector", value: css }))[ELEMENT];
const findAll = async (css) => (await wd("POST", `/session/${session}/elements`, { using: "css selector", value: css })).map((e) => e[ELEMENT]);
const text = async (el) => wd("GET", `/session/${session}/element/${el}/text`);
const click = async (css) => wd("POST", `/session/${session}/element/${await find(css)}/click`, {});
const type = async (css, value) => wd("POST", `/session/${session}/element/${await find(css)}/value`, { text: value });
const script = async (js) => wd("POST", `/session/${session}/execute/sync`, { script: js, args: [] });

/** True when a PNG has more than a few distinct pixel values. */
function nonBlank(png) {
  let pos = 8;
  const idat = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const kind = png.toString("ascii", pos + 4, pos + 8);
    if (kind === "IDAT") idat.push(png.subarray(pos + 8, pos + 8 + len));
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const seen = new Set();
  for (let i = 0; i < raw.length && seen.size < 50; i += 97) seen.add(raw[i]);
  return seen.size >= 20;
}

const findX = async (xpath) => (await wd("POST", `/session/${session}/element`, { using: "xpath", value: xpath }))[ELEMENT];
const openWindow = async () => {
  session = (await wd("POST", "/session", { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app } } } })).sessionId;
  // The window opens on the home page (no login in the desktop app), then goes to the store.
  await until("the home page in the window", async () => (await text(await find("#home-title"))) === "Home");
  await script("window.location.hash = '#/catalog'");
  await until("the app store in the window", async () => (await text(await find("#store-title"))) === "App store");
};
const closeWindow = async () => {
  await wd("DELETE", `/session/${session}`);
  session = undefined;
};
/** Installs Greeter from the test store through the window, and sees it run. */
async function installGreeter() {
  await type('input[aria-label="Search apps"]', "greets");
  await until("only Greeter", async () => {
    const names = await Promise.all((await findAll(".app-card strong")).map(text));
    return names.length === 1 && names[0] === "Greeter";
  });
  await click(".app-card");
  await until("Greeter's page", async () => (await text(await find("#app-title"))) === "Greeter");
  await click(".app-head button.primary");
  await type("#setting-ADMIN_NAME", "desktop");
  await click('.dialog button[type="submit"]');
  await until("the install to finish", async () => (await text(await find('.dialog [role="status"]'))).includes("Greeter is installed."), 120);
  await click(".dialog a.primary");
  await until("the app to run", async () => (await text(await find(`[data-testid="status-${APP}"]`))) === "running", 60);
  const running = execFileSync("docker", ["inspect", "-f", "{{.State.Running}}", `${APP}-web-1`]).toString().trim();
  if (running !== "true") fail(`Docker says ${APP}-web-1 running=${running}`);
}

let daemon;
try {
  cleanupDocker();
  await until("tauri-driver", async () => (await fetch(`${W}/status`)).ok, 30);
  await openWindow();
  await installGreeter();

  mkdirSync(out, { recursive: true });
  const png = Buffer.from(await wd("GET", `/session/${session}/screenshot`), "base64");
  const file = join(out, "main-window.png");
  writeFileSync(file, png);
  const words = await script("return document.body.innerText.trim().length");
  if (words < 20 || !nonBlank(png)) fail(`the main window looks blank (${file})`);
  console.log(`  main window: ${file}`);

  await click(`[data-app="${APP}"] button.danger`);
  await click(".dialog button.danger");
  await until("the app to be gone", async () => (await findAll(`[data-app="${APP}"]`)).length === 0, 60);
  const left = execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${APP}`]).toString().trim();
  if (left) fail(`containers left after uninstall: ${left}`);
  await closeWindow();
  console.log("  in-process: installed, ran and uninstalled Greeter");

  // Client mode: berth serve owns the home; the window is its socket client.
  daemon = await serve();
  await openWindow();
  const windows = () => execFileSync("xwininfo", ["-root", "-tree"]).toString();
  await until("the window title to say it is connected", async () => windows().includes("Berth — connected to berth serve"), 15).catch((e) => fail(`${e.message}: ${windows()}`));
  // Store pictures come through berth serve too (its catalogPicture command).
  await until("a store picture to show", async () =>
    script("return [...document.images].some((i) => i.src.startsWith('berthfile:') && i.complete && i.naturalWidth > 0)"), 20);
  // Every berth-event the window gets, as the UI's own listener gets them.
  await script(`window.__berthEvents = [];
    const t = window.__TAURI_INTERNALS__;
    t.invoke("plugin:event|listen", { event: "berth-event", target: { kind: "Any" }, handler: t.transformCallback((e) => window.__berthEvents.push(e.payload)) });`);
  await installGreeter();
  // A new version in the store: 1.2.0, on the 1.0 image.
  const appYml = join(store, APP, "app.yml");
  writeFileSync(appYml, readFileSync(appYml, "utf8").replace("version: 1.1.0\n", "version: 1.2.0\n"));
  const composeYml = join(store, APP, "compose.yml");
  writeFileSync(composeYml, readFileSync(composeYml, "utf8").replace("berth-test/box:1.1", "berth-test/box:1.0"));
  execFileSync(berth, ["--home", home, "catalog", "index", store]);
  execFileSync(berth, ["--home", home, "catalog", "refresh", "test"]);
  await wd("POST", `/session/${session}/element/${await findX('//button[normalize-space()="Check for updates"]')}/click`, {});
  const updateButton = `//li[@data-app="${APP}"]//button[starts-with(normalize-space(), "Update to 1.2.0")]`;
  await until("the update to 1.2.0 to be offered", async () => findX(updateButton), 60);
  await wd("POST", `/session/${session}/element/${await findX(updateButton)}/click`, {});
  await until("the update to finish", async () => (await text(await find('[data-testid="operation-result"]'))) === "Updated to 1.2.0.", 180).catch(async (e) =>
    fail(`${e.message}; the window says: ${await text(await find(".dialog")).catch(() => "(no dialog)")}`),
  );
  const percent = await text(await find('[data-testid="update-percent"]'));
  if (percent !== "100%") fail(`the update's progress ended at ${percent}`);
  const events = await script("return window.__berthEvents");
  const finished = events.filter((e) => e.type === "finished" && e.app === APP);
  const update = finished.at(-1);
  const steps = events.filter((e) => e.type === "step" && e.operation === update?.operation).map((e) => e.step);
  if (finished.length !== 2 || update.outcome !== "done" || update.error || !steps.includes("commit"))
    fail(`the window's events: install and update should each finish, the update with its steps: ${JSON.stringify(events)}`);
  const source = JSON.parse(execFileSync(berth, ["--home", home, "status", APP, "--json"]).toString()).source;
  if (source !== `test/${APP}@1.2.0`) fail(`after the update berth status says ${source}`);
  console.log(`  client mode: installed Greeter, updated it to 1.2.0 (operation ${update.operation}: steps ${steps.join(", ")}; finished ${update.outcome})`);
  console.log("desktop end-to-end: ok");
} catch (e) {
  console.error(`desktop end-to-end FAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
  driver.kill("SIGTERM");
  if (daemon) await stopServe(daemon);
  await sleep(500);
  cleanupDocker();
  rmSync(home, { recursive: true, force: true });
}
