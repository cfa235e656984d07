import { describe, expect, it } from "vitest";
import type { AppInfo, AppSummary, SystemInfo } from "../bindings";
import { healthOf, healthSentence, storeAppOf, tilesOf } from "./home";

const app = (id: string, source: string, state = "running", openPort: number | null = 8080): AppInfo => ({
  id,
  state: "installed",
  source,
  origin: source.startsWith("/")
    ? { kind: "file", path: source }
    : { kind: "store", store: source.split("/")[0], app: source.split("/")[1].split("@")[0], version: source.split("@")[1] },
  services: [{ service: "web", container: `${id}-web-1`, image: "x", state, exitCode: null, oomKilled: false, message: null }],
  openPort,
  openPath: "/",
  openUrl: null,
  name: id,
  gate: false,
  hostPort: true,
  limits: { cpus: null, memory: null, memorySwap: null, pids: null },
  held: null,
  shares: [],
  shareRequests: [],
});
const summary = (store: string, id: string, name: string, icon: string | null): AppSummary => ({
  store,
  id,
  name,
  version: "1.0.0",
  tagline: "",
  categories: [],
  icon,
});

describe("home tiles", () => {
  it("finds the store app behind an installed app", () => {
    expect(storeAppOf({ kind: "store", store: "berth", app: "jellyfin", version: "10.9.0" })).toEqual({ store: "berth", app: "jellyfin" });
    expect(storeAppOf({ kind: "store", store: "test", app: "greeter", version: "1.1.0" })).toEqual({ store: "test", app: "greeter" });
    expect(storeAppOf({ kind: "file", path: "/srv/compose/web.yml" })).toBeNull();
  });

  it("shows each app with its store's name and icon, by name, with where Open goes", () => {
    const tiles = tilesOf(
      [app("jellyfin", "berth/jellyfin@10.9.0"), app("web", "/srv/web/compose.yml", "exited", null), app("greeter", "test/greeter@1.1.0")],
      [summary("berth", "jellyfin", "Jellyfin", "icon.svg"), summary("test", "greeter", "Greeter", null)],
      "nas.local",
    );
    expect(tiles.map((t) => t.name)).toEqual(["Greeter", "Jellyfin", "web"]);
    const jellyfin = tiles[1];
    expect(jellyfin.icon).toEqual({ store: "berth", app: "jellyfin", file: "icon.svg" });
    expect(jellyfin.url).toBe("http://nas.local:8080/");
    expect(jellyfin.light).toBe("green");
    expect(tiles[0].icon).toBeNull();
    expect(tiles[2]).toMatchObject({ icon: null, url: null, light: "grey", status: "stopped" });
  });

  it("names an app installed under its own id by that id", () => {
    const [tile] = tilesOf([app("films", "berth/jellyfin@10.9.0")], [summary("berth", "jellyfin", "Jellyfin", "icon.svg")], "h");
    expect(tile.name).toBe("films");
    expect(tile.icon?.file).toBe("icon.svg");
  });
});

describe("server health", () => {
  const info = (load: number | null, available: number, diskFree: number): SystemInfo => ({
    hostname: "nas",
    cpu: { model: "x", cores: 4 },
    load: { one: load, five: null, fifteen: null },
    memory: { total: 1000, available, swapTotal: null, swapFree: null },
    uptimeSeconds: 1,
    disks: [
      { role: "home", path: "/var/lib/berth", mount: "/", total: 100, free: diskFree },
      { role: "docker", path: "/var/lib/docker", mount: "/", total: null, free: null },
    ] as SystemInfo["disks"],
    docker: {} as SystemInfo["docker"],
    berthVersion: "0.1.0",
    caFingerprint: null,
    caTrusted: false,
    backupWarnings: 0,
  });

  it("gives the processor, memory and each disk as a percent with a level", () => {
    const g = healthOf(info(1, 750, 80));
    expect(g.map((x) => x.label)).toEqual(["Processor", "Memory", "Disk: Apps' data", "Disk: Docker"]);
    expect(g[0]).toMatchObject({ percent: 25, level: "ok", text: "25 % busy" });
    expect(g[1]).toMatchObject({ percent: 25, text: "25 % used" });
    expect(g[2]).toMatchObject({ percent: 20, text: "20 % full" });
    expect(g[3]).toMatchObject({ percent: null, level: "ok", text: "— full" });
    expect(healthSentence(g)).toBe("The server is doing fine.");
  });

  it("says what runs short", () => {
    const g = healthOf(info(8, 50, 5));
    expect(g[0].percent).toBe(100);
    expect(healthSentence(g)).toBe("Running short: processor, memory, disk: apps' data.");
    expect(healthSentence(healthOf(info(3.2, 700, 80)))).toBe("The server is busy, but has room.");
    expect(healthOf(info(null, 700, 80))[0]).toMatchObject({ percent: null, text: "— busy" });
  });
});
