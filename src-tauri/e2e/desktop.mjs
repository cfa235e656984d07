// The desktop app end to end, under Xvfb: tauri-driver and WebKitWebDriver
// launch the real berth-desktop on a temporary home against the real Docker
// engine; the test installs an app from the test store through the window,
// sees it running (and in Docker), uninstalls it, and saves a screenshot of
// the main window, checked non-blank. Run with: xvfb-run -a node src-tauri/e2e/desktop.mjs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

// A home that already knows the test store (added through a short-lived berth serve).
const home = mkdtempSync(join(tmpdir(), "berth-desktop-e2e-"));
{
  const serve = spawn(berth, ["--home", home, "serve", "--listen", "none"], { stdio: "ignore" });
  await until("berth serve", async () => existsSync(join(home, "berth.sock")), 30);
  execFileSync(berth, ["--home", home, "catalog", "add", join(repo, "tests/store"), "--name", "test"]);
  serve.kill("SIGTERM");
  await new Promise((r) => serve.on("exit", r));
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

try {
  cleanupDocker();
  await until("tauri-driver", async () => (await fetch(`${W}/status`)).ok, 30);
  session = (await wd("POST", "/session", { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app } } } })).sessionId;
  await until("the app store in the window", async () => (await text(await find("#store-title"))) === "App store");
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
  console.log("desktop end-to-end: ok");
} catch (e) {
  console.error(`desktop end-to-end FAILED: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  if (session) await wd("DELETE", `/session/${session}`).catch(() => {});
  driver.kill("SIGTERM");
  await sleep(500);
  cleanupDocker();
  rmSync(home, { recursive: true, force: true });
}
