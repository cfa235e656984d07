import { describe, expect, it } from "vitest";
import type { AppInfo, Event, Setting } from "./bindings";
import {
  applyPull,
  describe as describeEvent,
  formatBytes,
  imagePercent,
  matches,
  openUrl,
  operationPercent,
  parseSize,
  settingsProblems,
  settingsToSend,
  statusLight,
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
    services: states.map(([state, exitCode], i) => ({ service: `s${i}`, container: `a-s${i}-1`, image: "x", state, exitCode })),
    openPort: 8080,
    openPath: "/admin",
    ...extra,
  });
  it("lights up by the services' states", () => {
    expect(statusLight(app([["running", null], ["healthy", null]])).light).toBe("green");
    expect(statusLight(app([["exited", 0], ["exited", 0]])).light).toBe("grey");
    expect(statusLight(app([["running", null], ["unhealthy", null]])).light).toBe("red");
    expect(statusLight(app([["exited", 1]])).light).toBe("red");
    expect(statusLight(app([], { state: "installing" })).label).toBe("installing");
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
