import { describe, expect, it } from "vitest";
import type { AppInfo } from "../bindings";
import { matches, openUrl, originText, serviceProblems, statusLight, versionOf } from "./apps";

describe("dashboard", () => {
  const app = (states: [string, number | null][], extra: Partial<AppInfo> = {}): AppInfo => ({
    id: "a",
    state: "installed",
    source: "berth/a@1.0.0",
    origin: { kind: "store", store: "berth", app: "a", version: "1.0.0" },
    services: states.map(([state, exitCode], i) => ({ service: `s${i}`, container: `a-s${i}-1`, image: "x", state, exitCode, oomKilled: false, message: null })),
    openPort: 8080,
    openPath: "/admin",
    openUrl: null,
    name: "a",
    gate: false,
    hostPort: true,
    limits: { cpus: null, memory: null, memorySwap: null, pids: null },
    held: null,
    shares: [],
    shareRequests: [],
    ...extra,
  });
  it("lights up by the services' states", () => {
    expect(statusLight(app([["running", null], ["healthy", null]])).light).toBe("green");
    expect(statusLight(app([["exited", 0], ["exited", 0]])).light).toBe("grey");
    expect(statusLight(app([["running", null], ["unhealthy", null]])).light).toBe("red");
    expect(statusLight(app([["exited", 1]])).light).toBe("red");
    expect(statusLight(app([], { state: "installing" })).label).toBe("installing");
  });
  it("says what a held app waits for", () => {
    const held = app([["exited", 0]], { held: "Movies (drive not present)" });
    expect(statusLight(held)).toEqual({ light: "yellow", label: "waiting for Movies (drive not present)" });
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
    // With Berth's proxy on, "Open" goes to the app's name.
    expect(openUrl(app([], { openUrl: "http://wiki-box.local/admin" }), "192.168.1.5")).toBe("http://wiki-box.local/admin");
  });
  it("matches every word", () => {
    expect(matches("Jellyfin media server", "media jelly")).toBe(true);
    expect(matches("Jellyfin media server", "media photos")).toBe(false);
  });
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
  it("names a compose file given as text by its short digest, and its origin in words", () => {
    const kept = "/var/lib/berth/apps/mine/source/7f905fcbf5b4ef0b/compose.yml";
    expect(versionOf(kept)).toBe("7f905fc");
    expect(originText({ kind: "file", path: kept })).toBe("your compose file");
    expect(originText({ kind: "file", path: "/srv/stack/compose.yml" })).toBe("/srv/stack/compose.yml");
    // Only Berth's own folder of kept texts, not any folder called source.
    expect(versionOf("/srv/source/7f905fcbf5b4ef0b/compose.yml")).toBe("/srv/source/7f905fcbf5b4ef0b/compose.yml");
    expect(originText({ kind: "store", store: "berth", app: "x", version: "1" })).toBe("berth");
  });
});
