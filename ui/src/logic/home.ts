// The home dashboard: installed apps as tiles (their store's icon, status,
// where "Open" goes, an update waiting) and the server's health at a glance.
import type { AppInfo, AppSource, AppSummary, SystemInfo } from "../bindings";
import { openUrl, statusLight, type Light } from "./apps";
import { barLevel, percentOf, usedFromFree } from "./format";

/** The store and store app an installed app came from; null for a compose file. */
export function storeAppOf(origin: AppSource): { store: string; app: string } | null {
  return origin.kind === "store" ? { store: origin.store, app: origin.app } : null;
}

/** An installed app as its tile shows it. */
export type Tile = {
  id: string;
  /** The store app's name ("Jellyfin"), else the app's id. */
  name: string;
  /** Where its icon is, when its store has one. */
  icon: { store: string; app: string; file: string } | null;
  light: Light;
  status: string;
  /** Where "Open" goes, if it has a page. */
  url: string | null;
};

/** The tiles of the installed apps, by name; `catalog` gives names and icons. */
export function tilesOf(apps: AppInfo[], catalog: AppSummary[], hostname: string): Tile[] {
  return apps
    .map((a) => {
      const origin = storeAppOf(a.origin);
      const summary = origin ? catalog.find((c) => c.store === origin.store && c.id === origin.app) : undefined;
      const { light, label } = statusLight(a);
      return {
        id: a.id,
        name: summary && summary.id === a.id ? summary.name : a.id,
        icon: origin && summary?.icon ? { ...origin, file: summary.icon } : null,
        light,
        status: label,
        url: openUrl(a, hostname),
      };
    })
    .sort((x, y) => x.name.localeCompare(y.name));
}

/** One figure of the server's health: a percent (null when unknown), how alarming it is, and a phrase. */
export type Gauge = { label: string; percent: number | null; level: "ok" | "warn" | "high"; text: string };

const ROLES: Record<string, string> = { home: "Apps' data", docker: "Docker" };

/**
 * The server at a glance: how busy its processors are (the 1-minute load
 * over the cores), memory in use, and how full each disk is.
 */
export function healthOf(info: SystemInfo): Gauge[] {
  const round = (p: number | null) => (p == null ? "—" : `${Math.round(p)} %`);
  const load = info.load.one;
  const cpu = load == null || info.cpu.cores <= 0 ? null : Math.min(100, (100 * load) / info.cpu.cores);
  const mem = percentOf(usedFromFree(info.memory.total, info.memory.available), info.memory.total);
  const gauges: Gauge[] = [
    { label: "Processor", percent: cpu, level: barLevel(cpu), text: `${round(cpu)} busy` },
    { label: "Memory", percent: mem, level: barLevel(mem), text: `${round(mem)} used` },
  ];
  for (const d of info.disks) {
    const used = percentOf(usedFromFree(d.total, d.free), d.total);
    gauges.push({ label: `Disk: ${ROLES[d.role] ?? d.role}`, percent: used, level: barLevel(used), text: `${round(used)} full` });
  }
  return gauges;
}

/** One sentence for the whole server: fine, or what is running short. */
export function healthSentence(gauges: Gauge[]): string {
  const short = gauges.filter((g) => g.level === "high").map((g) => g.label.toLowerCase());
  if (short.length > 0) return `Running short: ${short.join(", ")}.`;
  if (gauges.some((g) => g.level === "warn")) return "The server is busy, but has room.";
  return "The server is doing fine.";
}
