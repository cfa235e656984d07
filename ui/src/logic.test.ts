import { describe, expect, it } from "vitest";
import type { AppDisk, AppInfo, AppUpdate, Event, LimitsInfo, OperationInfo, PruneReport, PrunedImage, Setting, SnapshotInfo, Usage } from "./bindings";
import {
  applyPull,
  barLevel,
  chartData,
  formatLoad,
  formatPercent,
  formatUptime,
  highlightParts,
  inOut,
  logsText,
  logTime,
  percentOf,
  usedFromFree,
  usedOf,
  describe as describeEvent,
  diskCapChange,
  diskCapProblem,
  diskCapRestarts,
  diskCapResult,
  diskText,
  limitsChange,
  limitsForm,
  limitsResult,
  limitsText,
  serviceProblems,
  sizeText,
  downloadText,
  formatBytes,
  hasUpdate,
  imagePercent,
  matches,
  openUrl,
  operationPercent,
  outcomeText,
  parseSize,
  pruneSummary,
  resultSentence,
  rollbackReason,
  settingsProblems,
  settingsToSend,
  snapshotLabel,
  snapshotReason,
  statusLight,
  STEPS,
  succeeded,
  updateButtonText,
  updateCount,
  updateHistory,
  versionOf,
  type PullState,
} from "./logic";

const ev = (e: Partial<Event> & { type: Event["type"] }): Event => ({ operation: 7, app: "a", ...e }) as Event;

describe("sizes", () => {
  it("formats and parses", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64 MB");
    expect(parseSize("512m")).toBe(512 * 1024 * 1024);
    expect(parseSize("1.5 GB")).toBe(Math.round(1.5 * 1024 ** 3));
    expect(parseSize("2g")).toBe(2 * 1024 ** 3);
    expect(parseSize("lots")).toBeNull();
  });
});

describe("install progress", () => {
  it("adds up layers per image and ignores events without sizes", () => {
    let s: PullState = {};
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l1", current: 50, total: 100 }));
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l2", current: 0, total: 300 }));
    s = applyPull(s, ev({ type: "pull", image: "x", layer: null, current: null, total: null }));
    expect(imagePercent(s["x"])).toBe(12);
    // A layer never counts past its size.
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l2", current: 999, total: 300 }));
    expect(imagePercent(s["x"])).toBe(87);
    s = applyPull(s, ev({ type: "pull", image: "x", layer: "l1", current: 100, total: 100 }));
    expect(imagePercent(s["x"])).toBe(100);
  });

  it("reaches 100% only when the operation finished", () => {
    const events = [ev({ type: "accepted" }), ev({ type: "step", step: "render" }), ev({ type: "step", step: "start" })];
    expect(operationPercent([])).toBe(0);
    expect(operationPercent(events)).toBe(50);
    expect(operationPercent([...events, ev({ type: "finished", outcome: "done", error: null })])).toBe(100);
    expect(describeEvent(ev({ type: "finished", outcome: "failed", error: "the image does not exist" }))).toBe(
      "Failed: the image does not exist",
    );
  });
});

describe("settings form", () => {
  const settings: Setting[] = [
    { name: "ADMIN", label: "Admin name", type: "string", required: true },
    { name: "TOKEN", label: "Token", type: "password", required: true, generate: 32 },
    { name: "MODE", label: "Mode", type: "select", options: ["a", "b"], default: "a" },
    { name: "N", label: "Workers", type: "number" },
  ];
  it("names what is missing or wrong", () => {
    expect(settingsProblems(settings, {})).toEqual(["Admin name is required."]);
    expect(settingsProblems(settings, { ADMIN: "me", MODE: "c", N: "many" })).toEqual([
      "Mode must be one of a, b.",
      "Workers must be a number.",
    ]);
    expect(settingsProblems(settings, { ADMIN: "me" })).toEqual([]);
  });
  it("sends only what the user set", () => {
    expect(settingsToSend({ ADMIN: "me", TOKEN: "" })).toEqual({ ADMIN: "me" });
  });
});

describe("dashboard", () => {
  const app = (states: [string, number | null][], extra: Partial<AppInfo> = {}): AppInfo => ({
    id: "a",
    state: "installed",
    source: "berth/a@1.0.0",
    services: states.map(([state, exitCode], i) => ({ service: `s${i}`, container: `a-s${i}-1`, image: "x", state, exitCode, oomKilled: false, message: null })),
    openPort: 8080,
    openPath: "/admin",
    limits: { cpus: null, memory: null, memorySwap: null, pids: null },
    ...extra,
  });
  it("lights up by the services' states", () => {
    expect(statusLight(app([["running", null], ["healthy", null]])).light).toBe("green");
    expect(statusLight(app([["exited", 0], ["exited", 0]])).light).toBe("grey");
    expect(statusLight(app([["running", null], ["unhealthy", null]])).light).toBe("red");
    expect(statusLight(app([["exited", 1]])).light).toBe("red");
    expect(statusLight(app([], { state: "installing" })).label).toBe("installing");
  });
  it("lights red for a service the engine killed for its memory, and says why", () => {
    const killed = app([["running", null], ["exited", 137]]);
    killed.services[1] = { ...killed.services[1], oomKilled: true, message: "killed: out of memory (limit 64 MiB)" };
    expect(statusLight(killed)).toEqual({ light: "red", label: "out of memory" });
    // Even when it was started again since.
    const restarted = app([["running", null]]);
    restarted.services[0] = { ...restarted.services[0], oomKilled: true };
    expect(statusLight(restarted)).toEqual({ light: "red", label: "out of memory" });
    expect(serviceProblems(killed)).toEqual(["s1: killed: out of memory (limit 64 MiB)"]);
    expect(serviceProblems(restarted)).toEqual(["s0: killed: out of memory"]);
    expect(serviceProblems(app([["running", null]]))).toEqual([]);
    const exited = app([["exited", 1]]);
    exited.services[0] = { ...exited.services[0], message: "exited with code 1" };
    expect(serviceProblems(exited)).toEqual(["s0: exited with code 1"]);
    expect(statusLight(exited).label).toBe("needs attention");
  });
  it("opens the main port on the host the page came from", () => {
    expect(openUrl(app([]), "192.168.1.5")).toBe("http://192.168.1.5:8080/admin");
    expect(openUrl(app([], { openPort: null }), "h")).toBeNull();
  });
  it("matches every word", () => {
    expect(matches("Jellyfin media server", "media jelly")).toBe(true);
    expect(matches("Jellyfin media server", "media photos")).toBe(false);
  });
});

describe("desktop transport", () => {
  it("names commands as the desktop's tauri-specta commands", async () => {
    const { tauriName, inDesktop } = await import("./api");
    expect(tauriName("catalogSearch")).toBe("catalog_search");
    expect(tauriName("apps")).toBe("apps");
    expect(inDesktop()).toBe(false);
  });
});

const upd = (extra: Partial<AppUpdate> = {}): AppUpdate => ({
  app: "greeter",
  current: "test/greeter@1.1.0",
  version: null,
  releaseNotes: null,
  changedImages: [],
  downloadBytes: null,
  error: null,
  ...extra,
});

describe("versions", () => {
  it("reads the version from a store source, and keeps a compose file as it is", () => {
    expect(versionOf("store/app@1.2.0")).toBe("1.2.0");
    expect(versionOf("test/greeter@1.1.0")).toBe("1.1.0");
    expect(versionOf("linuxserver/jellyfin@version-v10.9.1")).toBe("version-v10.9.1");
    expect(versionOf("/srv/stack/compose.yml")).toBe("/srv/stack/compose.yml");
    expect(versionOf("./compose.yml")).toBe("./compose.yml");
    expect(versionOf("compose.yml")).toBe("compose.yml");
    // A path that happens to hold an @ is still a path.
    expect(versionOf("/home/me@work/compose.yml")).toBe("/home/me@work/compose.yml");
  });
});

describe("update check", () => {
  it("counts the apps that have something to update to", () => {
    expect(hasUpdate(upd())).toBe(false);
    expect(hasUpdate(upd({ version: "1.2.0" }))).toBe(true);
    expect(hasUpdate(upd({ changedImages: ["nginx:1"] }))).toBe(true);
    // A failed check alone is not an update.
    expect(hasUpdate(upd({ error: "the registry is out of reach" }))).toBe(false);
    expect(updateCount(null)).toBe(0);
    expect(updateCount(undefined)).toBe(0);
    expect(updateCount({ checkedAt: 1, apps: [] })).toBe(0);
    expect(
      updateCount({
        checkedAt: 1,
        apps: [upd({ app: "a", version: "2" }), upd({ app: "b" }), upd({ app: "c", changedImages: ["x:1"] }), upd({ app: "d", error: "no" })],
      }),
    ).toBe(2);
  });

  it("says what an update brings on its button", () => {
    expect(updateButtonText(upd({ version: "1.2.0" }))).toBe("Update to 1.2.0");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: null }))).toBe("Update to 1.2.0");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: 0 }))).toBe("Update to 1.2.0 (no download)");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: 12e6 }))).toBe("Update to 1.2.0 (11 MB)");
    expect(updateButtonText(upd({ changedImages: ["x:1"] }))).toBe("Update to newer images");
    expect(updateButtonText(upd({ changedImages: ["x:1"], downloadBytes: 1536 }))).toBe("Update to newer images (1.5 KB)");
  });

  it("says how much an install downloads, or nothing when unknown", () => {
    expect(downloadText(null)).toBeNull();
    expect(downloadText({ images: [], total: null })).toBeNull();
    expect(downloadText({ images: [], total: 0 })).toBe("Everything needed is already here.");
    expect(downloadText({ images: [], total: 5 * 1024 * 1024 })).toBe("Downloads 5.0 MB.");
    expect(downloadText({ images: [], total: 64 * 1024 * 1024 })).toBe("Downloads 64 MB.");
  });
});

describe("update and rollback results", () => {
  const preamble = "the update of greeter failed and was rolled back; greeter runs as before: ";
  it("drops the engine's preamble from a rolled-back update's error", () => {
    expect(rollbackReason(`${preamble}greeter is not ready: port 80 never answered`)).toBe("greeter is not ready: port 80 never answered");
    expect(rollbackReason("the image does not exist")).toBe("the image does not exist");
  });

  it("ends an update with a sentence", () => {
    expect(resultSentence("update", "done", null, "1.2.0")).toBe("Updated to 1.2.0.");
    expect(resultSentence("update", "completed_after_restart", null, "1.2.0")).toBe("Updated to 1.2.0.");
    expect(resultSentence("update", "done", null, null)).toBe("Updated to the newest images.");
    expect(resultSentence("update", "unchanged", null, "1.2.0")).toBe("Already up to date.");
    expect(resultSentence("update", "rolled_back", `${preamble}greeter is not ready: port 80 never answered`, "2.0.0")).toBe(
      "The update failed and Berth put the previous version back: greeter is not ready: port 80 never answered",
    );
    expect(resultSentence("update", "rolled_back", null)).toBe("The update failed and Berth put the previous version back.");
    expect(resultSentence("update", "failed", "no space left")).toBe("The update failed: no space left");
    expect(resultSentence("update", null, null)).toBe("The update failed.");
  });

  it("ends a rollback with a sentence", () => {
    expect(resultSentence("rollback", "done", null, "1.1.0")).toBe("Rolled back to 1.1.0.");
    expect(resultSentence("rollback", "done", null)).toBe("Rolled back.");
    expect(resultSentence("rollback", "unchanged", null, "1.1.0")).toBe("Already as it was then.");
    expect(resultSentence("rollback", "rolled_back", `${preamble}the data could not be restored`, "1.1.0")).toBe(
      "The rollback failed and Berth put the app back as it was: the data could not be restored",
    );
    expect(resultSentence("rollback", "failed", "no such snapshot")).toBe("The rollback failed: no such snapshot");
  });

  it("knows which outcomes are successes, and names them", () => {
    expect(["done", "unchanged", "completed_after_restart"].every(succeeded)).toBe(true);
    expect([null, undefined, "failed", "rolled_back", "interrupted"].some(succeeded)).toBe(false);
    expect(outcomeText(null)).toBe("Running");
    expect(outcomeText("done")).toBe("Done");
    expect(outcomeText("rolled_back")).toBe("Failed, previous version put back");
    expect(outcomeText("something new")).toBe("something new");
  });
});

describe("update progress", () => {
  const step = (s: string) => ev({ type: "step", step: s });
  it("follows the update's steps", () => {
    expect(STEPS.update).toEqual(["render", "pull", "stop", "snapshot", "swap", "migrate", "start", "health", "commit"]);
    expect(operationPercent([ev({ type: "accepted" })], "update")).toBe(0);
    expect(operationPercent([step("render")], "update")).toBe(0);
    expect(operationPercent([step("render"), step("pull"), step("stop")], "update")).toBe(22);
    expect(operationPercent([step("render"), step("pull"), step("stop"), step("snapshot"), step("swap"), step("start")], "update")).toBe(67);
    expect(operationPercent([step("swap"), step("migrate")], "update")).toBe(56);
    expect(operationPercent([step("commit")], "update")).toBe(89);
    // The same steps weigh differently in an install.
    expect(operationPercent([step("render"), step("pull"), step("start")], "install")).toBe(50);
    // Steps a kind does not have (unchanged, undo) do not move the bar.
    expect(operationPercent([step("render"), step("pull"), step("undo")], "update")).toBe(11);
    expect(operationPercent([step("render"), step("pull"), step("unchanged")], "update")).toBe(11);
    expect(operationPercent([step("render"), ev({ type: "finished", outcome: "rolled_back", error: "x" })], "update")).toBe(100);
  });
  it("counts the rollback's data step", () => {
    expect(STEPS.rollback).toContain("data");
    expect(operationPercent([step("swap"), step("data")], "rollback")).toBe(56);
  });
});

describe("update history", () => {
  const op = (id: number, kind: string, startedAt: number | null, app = "greeter"): OperationInfo => ({
    id,
    app,
    kind,
    startedAt,
    finishedAt: null,
    outcome: "done",
    error: null,
    steps: [],
  });
  it("keeps an app's updates and rollbacks, newest first", () => {
    const ops = [
      op(1, "install", 100),
      op(2, "update", 200),
      op(3, "stop", 250),
      op(4, "rollback", 300),
      op(5, "update", 400, "other"),
      op(6, "update", 300),
    ];
    expect(updateHistory(ops, "greeter").map((o) => o.id)).toEqual([6, 4, 2]);
    expect(updateHistory(ops, "other").map((o) => o.id)).toEqual([5]);
    expect(updateHistory(ops, "nobody")).toEqual([]);
    // The input is left as it was.
    expect(ops.map((o) => o.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("reclaim space", () => {
  const image = (id: string, bytes: number | null): PrunedImage => ({ id, references: [`x/${id}:1`], bytes, unusedSince: null });
  const report = (extra: Partial<PruneReport>): PruneReport => ({
    dryRun: true,
    images: [],
    bytes: null,
    keptForRollback: [],
    tooRecent: null,
    ...extra,
  });
  it("says what a dry run would free", () => {
    expect(pruneSummary(report({}))).toBe("Nothing to free.");
    expect(pruneSummary(report({ images: [image("a", 1024 * 1024)], bytes: 1024 * 1024 }))).toBe("1.0 MB in 1 image can be freed.");
    // Without a total, the images' sizes add up.
    expect(pruneSummary(report({ images: [image("a", 3 * 1024 * 1024), image("b", 2 * 1024 * 1024), image("c", null)] }))).toBe(
      "5.0 MB in 3 images can be freed.",
    );
    expect(pruneSummary(report({ keptForRollback: [image("k", 10)], tooRecent: 2 }))).toBe(
      "Nothing to free; 1 image kept for rollbacks; 2 images used too recently to remove.",
    );
  });
  it("says what a cleanup freed", () => {
    expect(pruneSummary(report({ dryRun: false }))).toBe("Nothing was freed.");
    expect(pruneSummary(report({ dryRun: false, images: [image("a", 1), image("b", 1)], bytes: 20 * 1024 * 1024, keptForRollback: [image("k", 1), image("l", 1)] }))).toBe(
      "Freed 20 MB (2 images); 2 images kept for rollbacks.",
    );
    expect(pruneSummary(report({ dryRun: false, tooRecent: 1 }))).toBe("Nothing was freed; 1 image used too recently to remove.");
  });
});

describe("snapshots", () => {
  const snap = (extra: Partial<SnapshotInfo>): SnapshotInfo => ({
    id: "s1",
    createdAt: 1,
    reason: "before updating to test/greeter@1.2.0",
    source: "test/greeter@1.1.0",
    bytes: null,
    images: [],
    ...extra,
  });
  it("names a snapshot by its version and size", () => {
    expect(snapshotLabel(snap({}))).toBe("1.1.0");
    expect(snapshotLabel(snap({ bytes: 2048 }))).toBe("1.1.0, 2.0 KB of data");
    expect(snapshotLabel(snap({ source: "/srv/compose.yml", bytes: 0 }))).toBe("/srv/compose.yml, 0 B of data");
  });
  it("names the snapshot a rollback went to by its version", () => {
    const older = snap({ id: "2026-12-01T19-53-13Z-op4" });
    const list = [snap({ id: "2026-12-01T19-53-15Z-op5", source: "test/greeter@1.2.0", reason: "before rolling back to 2026-12-01T19-53-13Z-op4" }), older];
    expect(snapshotReason(list[0].reason, list)).toBe("before rolling back to 1.1.0");
    // A snapshot no longer kept keeps its id; other reasons stay as they are.
    expect(snapshotReason("before rolling back to gone-op1", list)).toBe("before rolling back to gone-op1");
    expect(snapshotReason("before updating to test/greeter@1.2.0", list)).toBe("before updating to test/greeter@1.2.0");
  });
});

describe("resource use", () => {
  it("works out percents for bars, clamped, null when unknown", () => {
    expect(percentOf(25, 200)).toBe(12.5);
    expect(percentOf(300, 200)).toBe(100);
    expect(percentOf(-5, 200)).toBe(0);
    expect(percentOf(1, 0)).toBeNull();
    expect(percentOf(null, 10)).toBeNull();
    expect(percentOf(5, null)).toBeNull();
    expect(barLevel(null)).toBe("ok");
    expect(barLevel(74.9)).toBe("ok");
    expect(barLevel(75)).toBe("warn");
    expect(barLevel(90)).toBe("high");
  });
  it("formats percents, sizes used, loads and uptimes", () => {
    expect(formatPercent(0.4321)).toBe("0.4 %");
    expect(formatPercent(12.6)).toBe("13 %");
    expect(formatPercent(250)).toBe("250 %");
    expect(formatPercent(null)).toBe("—");
    expect(usedOf(1536, 64 * 1024 * 1024)).toBe("1.5 KB of 64 MB");
    expect(usedOf(2048, null)).toBe("2.0 KB");
    expect(usedOf(null, 10)).toBe("—");
    expect(usedFromFree(16, 6)).toBe(10);
    expect(usedFromFree(16, 20)).toBe(0);
    expect(usedFromFree(null, 6)).toBeNull();
    expect(inOut(1024 * 1024, null)).toBe("1.0 MB / —");
    expect(formatLoad({ one: 0.5, five: 1.234, fifteen: null })).toBe("0.50 · 1.23 · —");
    expect(formatUptime(45)).toBe("45 s");
    expect(formatUptime(12 * 60 + 59)).toBe("12 min");
    expect(formatUptime(4 * 3600 + 12 * 60 + 3)).toBe("4 h 12 min");
    expect(formatUptime(86400 + 3600 * 5)).toBe("1 day, 5 h");
    expect(formatUptime(3 * 86400 + 3600 * 4 + 61)).toBe("3 days, 4 h");
    expect(formatUptime(null)).toBe("—");
  });
  const usage = (cpu: number | null, used: number | null, limit: number | null = 64 * 1024 * 1024): Usage => ({
    cpuPercent: cpu,
    memoryUsed: used,
    memoryLimit: limit,
    netRx: 0,
    netTx: 0,
    blockRead: 0,
    blockWrite: 0,
    pids: 1,
  });
  it("shapes samples into uPlot's columns: seconds, CPU %, MiB used and limit", () => {
    const mib = 1024 * 1024;
    const data = chartData(
      [
        { at: 2_000_000_005_000, usage: usage(3.5, 3 * mib) },
        { at: null, usage: usage(99, 99) },
        { at: 2_000_000_000_000, usage: usage(1.25, 1.5 * mib, null) },
      ],
      { at: 2_000_000_010_000, total: usage(7, 2.25 * mib) },
    );
    expect(data).toEqual([
      [2_000_000_000, 2_000_000_005, 2_000_000_010],
      [1.25, 3.5, 7],
      [1.5, 3, 2.3],
      [null, 64, 64],
    ]);
  });
  it("appends the current use only when it is newer than the last sample", () => {
    const samples = [{ at: 10_000, usage: usage(1, 1024 * 1024) }];
    expect(chartData(samples, { at: 10_000, total: usage(50, 0) })[0]).toEqual([10]);
    expect(chartData(samples, { at: null, total: usage(50, 0) })[1]).toEqual([1]);
    expect(chartData([], { at: 4_000, total: usage(2, 0) })).toEqual([[4], [2], [0], [64]]);
    expect(chartData([])).toEqual([[], [], [], []]);
    // A stopped app's sample: nothing used, no limit known.
    expect(chartData([{ at: 1_000, usage: usage(0, 0, 0) }])).toEqual([[1], [0], [0], [null]]);
  });
});

describe("log lines", () => {
  it("splits a line where it matches, in any case", () => {
    expect(highlightParts("GET /index.html 200 get", "get")).toEqual([
      { text: "GET", match: true },
      { text: " /index.html 200 ", match: false },
      { text: "get", match: true },
    ]);
    expect(highlightParts("Server started on :80", "STARTED")).toEqual([
      { text: "Server ", match: false },
      { text: "started", match: true },
      { text: " on :80", match: false },
    ]);
    expect(highlightParts("aaa", "aa")).toEqual([
      { text: "aa", match: true },
      { text: "a", match: false },
    ]);
    expect(highlightParts("nothing here", "zzz")).toEqual([{ text: "nothing here", match: false }]);
    expect(highlightParts("plain", "")).toEqual([{ text: "plain", match: false }]);
  });
  it("reads the engine's nanosecond stamps", () => {
    expect(logTime("2026-05-01T12:00:01.123456789Z")).toBe(Date.UTC(2026, 4, 1, 12, 0, 1, 123));
    expect(logTime("2026-05-01T12:00:01Z")).toBe(Date.UTC(2026, 4, 1, 12, 0, 1));
    expect(logTime("not a time")).toBeNull();
  });
  it("writes lines as the downloaded log has them", () => {
    expect(
      logsText([
        { time: "2026-05-01T12:00:01.5Z", service: "web", stream: "stdout", text: "hello" },
        { time: "2026-05-01T12:00:02.5Z", service: "db", stream: "stderr", text: "oops" },
      ]),
    ).toBe("2026-05-01T12:00:01.5Z web stdout hello\n2026-05-01T12:00:02.5Z db stderr oops\n");
  });
});

describe("limits", () => {
  const MIB = 1024 * 1024;
  const none: LimitsInfo = { cpus: null, memory: null, memorySwap: null, pids: null };
  const greeter: LimitsInfo = { cpus: 0.5, memory: 64 * MIB, memorySwap: null, pids: null };
  const host = { cores: 4, memory: 8 * 1024 * MIB };
  const form = (f: Partial<ReturnType<typeof limitsForm>>) => ({ ...limitsForm(greeter), ...f });

  it("writes sizes the inputs read back", () => {
    expect(sizeText(96 * MIB)).toBe("96m");
    expect(sizeText(2 * 1024 * MIB)).toBe("2g");
    expect(sizeText(1536 * MIB)).toBe("1.5g");
    expect(sizeText(1000)).toBe("1000");
    expect(sizeText(12 * 1024)).toBe("12k");
    for (const n of [96 * MIB, 1536 * MIB, 7 * MIB + 512 * 1024, 123457]) expect(parseSize(sizeText(n))).toBe(n);
  });
  it("says the limits in words", () => {
    expect(limitsText(none)).toEqual({ cpus: "unlimited", memory: "unlimited", memorySwap: "unlimited", pids: "unlimited" });
    expect(limitsText(greeter)).toEqual({ cpus: "0.5", memory: "64 MB", memorySwap: "twice the memory (128 MB)", pids: "unlimited" });
    expect(limitsText({ cpus: 2, memory: 96 * MIB, memorySwap: -1, pids: 100 })).toEqual({ cpus: "2", memory: "96 MB", memorySwap: "unlimited", pids: "100" });
    expect(limitsText({ ...greeter, memorySwap: 64 * MIB }).memorySwap).toBe("64 MB");
  });
  it("fills the form with the limits in force", () => {
    expect(limitsForm(greeter)).toEqual({ cpus: "0.5", memory: "64m", memorySwap: "", pids: "" });
    expect(limitsForm({ cpus: null, memory: null, memorySwap: -1, pids: 50 })).toEqual({ cpus: "", memory: "", memorySwap: "unlimited", pids: "50" });
  });
  it("sends only what changes", () => {
    expect(limitsChange(form({ cpus: "1", memory: "96m" }), greeter, host)).toEqual({
      change: { cpus: 1, memory: 96 * MIB, memorySwap: null, pids: null },
      problems: [],
    });
    expect(limitsChange(form({ pids: "200", memorySwap: "unlimited" }), greeter, host).change).toEqual({ cpus: null, memory: null, memorySwap: -1, pids: 200 });
    expect(limitsChange(form({}), greeter, host).problems).toEqual(["These are the limits already in force: change one first."]);
    // An emptied field keeps its limit.
    expect(limitsChange({ cpus: "", memory: "", memorySwap: "", pids: "3" }, greeter, host).change).toEqual({ cpus: null, memory: null, memorySwap: null, pids: 3 });
  });
  it("refuses what the host cannot give, as the daemon would", () => {
    const problems = (f: Partial<ReturnType<typeof limitsForm>>, current = greeter) => limitsChange(form(f), current, host).problems;
    expect(problems({ memory: "100000g" })).toEqual(["98 TB of memory is more than this server has (8.0 GB)."]);
    expect(problems({ memory: "5m" })).toEqual(["Memory must be at least 6 MB (5.0 MB is too little for Docker)."]);
    expect(problems({ memory: "6m" })).toEqual([]);
    expect(problems({ memory: "lots" })).toEqual(["Memory must be a size like 512m or 2g."]);
    expect(problems({ cpus: "5" })).toEqual(["5 CPUs is more than this server has (4)."]);
    expect(problems({ cpus: "4" })).toEqual([]);
    expect(problems({ cpus: "0" })).toEqual(["CPUs must be a number above 0, like 0.5 or 2."]);
    expect(problems({ cpus: "two" })).toEqual(["CPUs must be a number above 0, like 0.5 or 2."]);
    expect(problems({ pids: "0" })).toEqual(["Processes must be a whole number, at least 1."]);
    expect(problems({ pids: "1.5" })).toEqual(["Processes must be a whole number, at least 1."]);
    expect(problems({ pids: "1" })).toEqual([]);
    expect(problems({ memorySwap: "lots" })).toEqual(["Memory + swap must be a size like 1g, or “unlimited”."]);
    // Memory + swap below memory, as it will be: given, or the one in force.
    expect(problems({ memorySwap: "32m" })).toEqual([
      "Memory + swap (32 MB) cannot be less than memory (64 MB): give the same size for no swap, or “unlimited”.",
    ]);
    expect(problems({ memory: "128m" }, { ...greeter, memorySwap: 96 * MIB })).toEqual([
      "Memory + swap (96 MB) cannot be less than memory (128 MB): give the same size for no swap, or “unlimited”.",
    ]);
    expect(problems({ memory: "128m", memorySwap: "128m" }, { ...greeter, memorySwap: 96 * MIB })).toEqual([]);
    expect(problems({ memory: "1g" }, { ...greeter, memorySwap: -1 })).toEqual([]);
    // An unknown host is left to the daemon.
    expect(limitsChange(form({ cpus: "64", memory: "1t" }), greeter, { cores: null, memory: null }).problems).toEqual([]);
  });
  it("says what the change did per service", () => {
    const changed = (services: Record<string, string>) => ({ operation: 3, limits: greeter, services });
    expect(limitsResult(changed({ web: "updated" }))).toBe("Changed live: web.");
    expect(limitsResult(changed({ web: "updated", db: "updated", worker: "not_created", cron: "needs_recreate", x: "unchanged" }))).toBe(
      "Changed live: db, web. Already so: x. Applies when created: worker. Applies at the next start: cron.",
    );
    expect(limitsResult(changed({ web: "sideways" }))).toBe("sideways: web.");
    expect(limitsResult(changed({}))).toBe("Saved: the app's containers get the new limits when they are created.");
  });
});

describe("disk caps", () => {
  const MIB = 1024 * 1024;
  const disk = (d: Partial<AppDisk>): AppDisk => ({ used: 2 * MIB, cap: null, nearFull: false, uncapped: null, restarted: false, ...d });

  it("tells which changes restart the app", () => {
    expect(diskCapChange(null, 32 * MIB)).toBe("first");
    expect(diskCapChange(undefined, 32 * MIB)).toBe("first");
    expect(diskCapChange(64 * MIB, 32 * MIB)).toBe("lower");
    expect(diskCapChange(32 * MIB, 64 * MIB)).toBe("raise");
    expect(diskCapChange(32 * MIB, null)).toBe("remove");
    expect(diskCapChange(32 * MIB, 32 * MIB)).toBe("same");
    expect(diskCapChange(null, null)).toBe("same");
    expect(["first", "lower", "remove"].every((c) => diskCapRestarts(c as never))).toBe(true);
    expect(diskCapRestarts("raise")).toBe(false);
    expect(diskCapRestarts("same")).toBe(false);
  });
  it("checks a cap before sending it", () => {
    expect(diskCapProblem("32m", 2 * MIB, 100 * 1024 * MIB)).toEqual({ bytes: 32 * MIB, problem: null });
    expect(diskCapProblem("16m", null, null)).toEqual({ bytes: 16 * MIB, problem: null });
    expect(diskCapProblem("15m", null, null).problem).toBe("A disk cap is at least 16 MB (15 MB is too small).");
    expect(diskCapProblem("big", null, null)).toEqual({ bytes: null, problem: "The cap must be a size like 512m or 10g." });
    expect(diskCapProblem("32m", 40 * MIB, null).problem).toBe("The app's data takes 40 MB, more than a cap of 32 MB: choose a larger cap.");
    expect(diskCapProblem("2t", 0, 100 * 1024 * MIB).problem).toBe("2.0 TB is more than the disk Berth keeps apps on (100 GB).");
  });
  it("says what the disk holds and how a change went", () => {
    expect(diskText(disk({}))).toBe("2.0 MB used, not capped");
    expect(diskText(disk({ cap: 32 * MIB }))).toBe("2.0 MB of 32 MB");
    expect(diskText(disk({ used: null }))).toBe("— used, not capped");
    expect(diskCapResult("first", disk({ cap: 32 * MIB, restarted: true }))).toBe("The disk is capped at 32 MB. The app was restarted for this.");
    expect(diskCapResult("raise", disk({ cap: 64 * MIB }))).toBe("The disk is capped at 64 MB.");
    expect(diskCapResult("remove", disk({ restarted: true }))).toBe("The disk cap is removed. The app was restarted for this.");
  });
});
