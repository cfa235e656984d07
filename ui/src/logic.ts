// The UI's logic, apart from React so it can be unit-tested.
import type { AppInfo, Event, Setting } from "./bindings";

/** Bytes as people read them. */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** Parses `512m`, `2g`, `1.5 GB`, `1024` (bytes) into bytes; null if it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!m) return null;
  const scale: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(parseFloat(m[1]) * scale[m[2].toLowerCase()]);
}

/** Download progress of an install, from its pull events: per image, done/total bytes over its layers. */
export type PullState = Record<string, Record<string, { current: number; total: number }>>;

export function applyPull(state: PullState, event: Event): PullState {
  if (event.type !== "pull" || !event.layer || event.total == null || event.total <= 0) return state;
  const image = { ...(state[event.image] ?? {}) };
  image[event.layer] = { current: Math.min(event.current ?? 0, event.total), total: event.total };
  return { ...state, [event.image]: image };
}

/** Percent (0–100) of one image's layers downloaded. */
export function imagePercent(layers: Record<string, { current: number; total: number }>): number {
  let done = 0;
  let total = 0;
  for (const l of Object.values(layers)) {
    done += l.current;
    total += l.total;
  }
  return total === 0 ? 0 : Math.floor((100 * done) / total);
}

/** The steps of an install, and how far a stream of events got (0–100). */
const INSTALL_STEPS = ["render", "pull", "start", "commit"];
export function operationPercent(events: Event[]): number {
  if (events.some((e) => e.type === "finished")) return 100;
  const steps = events.filter((e): e is Extract<Event, { type: "step" }> => e.type === "step").map((e) => e.step);
  const reached = Math.max(-1, ...steps.map((s) => INSTALL_STEPS.indexOf(s)));
  return reached < 0 ? 0 : Math.round((100 * reached) / INSTALL_STEPS.length);
}

/** A line for the step log, or null for events that do not make one. */
export function describe(event: Event): string | null {
  switch (event.type) {
    case "accepted":
      return `Operation ${event.operation} started`;
    case "step":
      return `Step: ${event.step}`;
    case "service":
      return `${event.service}: ${event.state}`;
    case "finished":
      return event.error ? `Failed: ${event.error}` : `Finished: ${event.outcome ?? "done"}`;
    default:
      return null;
  }
}

/** What a settings form lacks or gets wrong, as sentences; empty when it can be sent. */
export function settingsProblems(settings: Setting[], values: Record<string, string>): string[] {
  const out: string[] = [];
  for (const s of settings) {
    const v = values[s.name] ?? "";
    const hasDefault = (s.default ?? "") !== "" || s.generate != null;
    if (s.required && v === "" && !hasDefault) out.push(`${s.label} is required.`);
    if (v === "") continue;
    if (s.type === "number" && Number.isNaN(Number(v))) out.push(`${s.label} must be a number.`);
    if (s.type === "bool" && v !== "true" && v !== "false") out.push(`${s.label} must be true or false.`);
    if (s.type === "select" && !(s.options ?? []).includes(v)) out.push(`${s.label} must be one of ${(s.options ?? []).join(", ")}.`);
  }
  return out;
}

/** Only the values the user set (empty fields fall back to the app's defaults). */
export function settingsToSend(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
}

/** The status light of an installed app. */
export type Light = "green" | "yellow" | "red" | "grey";
export function statusLight(app: AppInfo): { light: Light; label: string } {
  if (app.state !== "installed") return { light: "yellow", label: app.state };
  if (app.services.length === 0) return { light: "red", label: "no containers" };
  const states = app.services.map((s) => s.state);
  if (states.some((s) => s === "unhealthy" || s === "restarting" || (s === "exited" && app.services.some((x) => x.exitCode)))) {
    return { light: "red", label: "needs attention" };
  }
  if (states.every((s) => s === "exited" || s === "created")) return { light: "grey", label: "stopped" };
  if (states.some((s) => s === "starting")) return { light: "yellow", label: "starting" };
  if (states.every((s) => s === "running" || s === "healthy")) return { light: "green", label: "running" };
  return { light: "yellow", label: states.join(", ") };
}

/** Where "Open" goes, on the host the page was loaded from. */
export function openUrl(app: AppInfo, hostname: string): string | null {
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
