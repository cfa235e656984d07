// Installed apps as the lists show them: status light, problems, where
// "Open" goes, version; and the store's search.
import type { AppInfo, AppSource } from "../bindings";

/** The status light of an installed app. */
export type Light = "green" | "yellow" | "red" | "grey";
export function statusLight(app: AppInfo): { light: Light; label: string } {
  if (app.state !== "installed") return { light: "yellow", label: app.state };
  if (app.held) return { light: "yellow", label: `waiting for ${app.held}` };
  if (app.services.length === 0) return { light: "red", label: "no containers" };
  if (app.services.some((s) => s.oomKilled)) return { light: "red", label: "out of memory" };
  const states = app.services.map((s) => s.state);
  if (states.some((s) => s === "unhealthy" || s === "restarting" || (s === "exited" && app.services.some((x) => x.exitCode)))) {
    return { light: "red", label: "needs attention" };
  }
  if (states.every((s) => s === "exited" || s === "created")) return { light: "grey", label: "stopped" };
  if (states.some((s) => s === "starting")) return { light: "yellow", label: "starting" };
  if (states.every((s) => s === "running" || s === "healthy")) return { light: "green", label: "running" };
  return { light: "yellow", label: states.join(", ") };
}

/** What is wrong with an app's services, one line each: `web: killed: out of memory (limit 64 MiB)`. */
export function serviceProblems(app: AppInfo): string[] {
  return app.services
    .filter((s) => s.message || s.oomKilled)
    .map((s) => `${s.service}: ${s.message || "killed: out of memory"}`);
}

/** Where "Open" goes: the app's name on Berth's proxy when it runs, else
 * its port on the host the page was loaded from. */
export function openUrl(app: AppInfo, hostname: string): string | null {
  if (app.openUrl) return app.openUrl;
  if (app.openPort == null) return null;
  return `http://${hostname}:${app.openPort}${app.openPath ?? "/"}`;
}

/** Apps whose name, tagline or categories match every word. */
export function matches(text: string, words: string): boolean {
  const hay = text.toLowerCase();
  return words
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** The version in an app's source (`store/app@1.2` → `1.2`), or the compose file it came from. */
export function versionOf(source: string): string {
  const m = /^[^/.][^/]*\/[^@]+@(.+)$/.exec(source);
  return m ? m[1] : (keptText(source) ?? source);
}

/** A compose file given as text in the UI, as Berth keeps it (`<home>/apps/<id>/source/<digest>/compose.yml`): its version is its digest, short as git's. */
function keptText(source: string): string | null {
  const m = /\/apps\/[a-z0-9][a-z0-9_-]*\/source\/([0-9a-f]{16})\/compose\.yml$/.exec(source);
  return m ? m[1].slice(0, 7) : null;
}

/** Where an installed app came from, in words: its store, your compose file, or the file or folder on the server. */
export function originText(origin: AppSource): string {
  if (origin.kind === "store") return origin.store;
  return keptText(origin.path) ? "your compose file" : origin.path;
}
