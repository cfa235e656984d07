// The UI's logic, apart from React so it can be unit-tested.
import type {
  AppDisk,
  AppInfo,
  AppUpdate,
  DownloadSize,
  Event,
  LimitsChanged,
  LimitsInfo,
  OperationInfo,
  PruneReport,
  Setting,
  SnapshotInfo,
  UpdatesInfo,
  Usage,
} from "./bindings";

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

/** The steps of each long operation, in order. */
export type OperationKind = "install" | "update" | "rollback";
export const STEPS: Record<OperationKind, string[]> = {
  install: ["render", "pull", "start", "commit"],
  update: ["render", "pull", "stop", "snapshot", "swap", "migrate", "start", "health", "commit"],
  rollback: ["render", "pull", "stop", "snapshot", "swap", "data", "start", "health", "commit"],
};

/** How far a stream of events got (0–100): the last step reached, 100 once finished. */
export function operationPercent(events: Event[], kind: OperationKind = "install"): number {
  if (events.some((e) => e.type === "finished")) return 100;
  const order = STEPS[kind];
  const steps = events.filter((e): e is Extract<Event, { type: "step" }> => e.type === "step").map((e) => e.step);
  const reached = Math.max(-1, ...steps.map((s) => order.indexOf(s)));
  return reached < 0 ? 0 : Math.round((100 * reached) / order.length);
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

/** The version in an app's source (`store/app@1.2` → `1.2`), or the compose file it came from. */
export function versionOf(source: string): string {
  const m = /^[^/.][^/]*\/[^@]+@(.+)$/.exec(source);
  return m ? m[1] : source;
}

/** Whether the update check found something for this app. */
export const hasUpdate = (u: AppUpdate): boolean => !!u.version || u.changedImages.length > 0;

/** How many apps have an update (the nav badge). */
export const updateCount = (info: UpdatesInfo | null | undefined): number => (info?.apps ?? []).filter(hasUpdate).length;

/** What an update brings, for its button: `Update to 1.2 (12 MB)`. */
export function updateButtonText(u: AppUpdate): string {
  const what = u.version ? `Update to ${u.version}` : "Update to newer images";
  const bytes = u.downloadBytes;
  if (bytes == null) return what;
  return `${what} (${bytes === 0 ? "no download" : formatBytes(bytes)})`;
}

/** What the install dialog says about the download; null when unknown. */
export function downloadText(size: DownloadSize | null): string | null {
  if (!size || size.total == null) return null;
  return size.total === 0 ? "Everything needed is already here." : `Downloads ${formatBytes(size.total)}.`;
}

/** The error of a rolled-back update without the engine's preamble (the sentence says it already). */
export function rollbackReason(error: string): string {
  return error.replace(/^the update of \S+ failed and was rolled back; \S+ runs as before: /, "");
}

/** The sentence ending an update or a rollback. `to` is the version it went to, if known. */
export function resultSentence(kind: "update" | "rollback", outcome: string | null | undefined, error: string | null | undefined, to?: string | null): string {
  const why = error ? rollbackReason(error) : "";
  const because = why ? `: ${why}` : ".";
  if (kind === "update") {
    switch (outcome) {
      case "done":
      case "completed_after_restart":
        return to ? `Updated to ${to}.` : "Updated to the newest images.";
      case "unchanged":
        return "Already up to date.";
      case "rolled_back":
        return `The update failed and Berth put the previous version back${because}`;
      default:
        return `The update failed${because}`;
    }
  }
  switch (outcome) {
    case "done":
    case "completed_after_restart":
      return to ? `Rolled back to ${to}.` : "Rolled back.";
    case "unchanged":
      return "Already as it was then.";
    case "rolled_back":
      return `The rollback failed and Berth put the app back as it was${because}`;
    default:
      return `The rollback failed${because}`;
  }
}

/** Whether an outcome is a success. */
export const succeeded = (outcome: string | null | undefined): boolean =>
  outcome === "done" || outcome === "unchanged" || outcome === "completed_after_restart";

/** An app's updates and rollbacks, newest first. */
export function updateHistory(ops: OperationInfo[], app: string): OperationInfo[] {
  return ops
    .filter((o) => o.app === app && (o.kind === "update" || o.kind === "rollback"))
    .sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0) || (b.id ?? 0) - (a.id ?? 0));
}

/** An outcome in words, for the history. */
export function outcomeText(outcome: string | null | undefined): string {
  switch (outcome) {
    case null:
    case undefined:
      return "Running";
    case "done":
      return "Done";
    case "unchanged":
      return "Already up to date";
    case "rolled_back":
      return "Failed, previous version put back";
    case "completed_after_restart":
      return "Done (finished after a restart)";
    case "interrupted":
      return "Interrupted";
    case "failed":
      return "Failed";
    default:
      return outcome;
  }
}

const images = (n: number) => `${n} image${n === 1 ? "" : "s"}`;

/** What a cleanup would free (dry run) or freed, as a sentence. */
export function pruneSummary(report: PruneReport): string {
  const n = report.images.length;
  const bytes = formatBytes(report.bytes ?? report.images.reduce((sum, i) => sum + (i.bytes ?? 0), 0));
  const main = report.dryRun
    ? n === 0
      ? "Nothing to free"
      : `${bytes} in ${images(n)} can be freed`
    : n === 0
      ? "Nothing was freed"
      : `Freed ${bytes} (${images(n)})`;
  const kept = report.keptForRollback.length;
  const recent = report.tooRecent ?? 0;
  const notes = [
    kept > 0 && `${images(kept)} kept for rollbacks`,
    recent > 0 && `${images(recent)} used too recently to remove`,
  ].filter(Boolean);
  return `${[main, ...notes].join("; ")}.`;
}

/** A snapshot as its list shows it: version, size. */
export function snapshotLabel(s: SnapshotInfo): string {
  return `${versionOf(s.source)}${s.bytes != null ? `, ${formatBytes(s.bytes)} of data` : ""}`;
}

/** Why a snapshot was taken, naming a snapshot it mentions by its version (`before rolling back to 1.1.0`). */
export function snapshotReason(reason: string, snapshots: SnapshotInfo[]): string {
  return reason.replace(/^(before rolling back to )(\S+)$/, (whole, before: string, id: string) => {
    const s = snapshots.find((x) => x.id === id);
    return s ? `${before}${versionOf(s.source)}` : whole;
  });
}

// ---- The server page, resource use and logs ----

/** `part` as a percent (0–100) of `whole`; null when either is unknown or the whole is 0. */
export function percentOf(part: number | null | undefined, whole: number | null | undefined): number | null {
  if (part == null || whole == null || !Number.isFinite(part) || !Number.isFinite(whole) || whole <= 0) return null;
  return Math.min(100, Math.max(0, (100 * part) / whole));
}

/** How full a bar looks: calm below 75 %, a warning to 90 %, alarming above. */
export function barLevel(percent: number | null): "ok" | "warn" | "high" {
  if (percent == null || percent < 75) return "ok";
  return percent < 90 ? "warn" : "high";
}

/** A percentage as people read it: `0.4 %`, `12 %`, `250 %` (CPU percent can pass 100). */
export function formatPercent(p: number | null | undefined): string {
  if (p == null || !Number.isFinite(p)) return "—";
  return `${Math.abs(p) < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

/** Used and total as one phrase: `1.2 GB of 16 GB`; `—` when unknown. */
export function usedOf(used: number | null | undefined, total: number | null | undefined): string {
  if (used == null) return "—";
  return total == null ? formatBytes(used) : `${formatBytes(used)} of ${formatBytes(total)}`;
}

/** What is used of something that reports its total and what is free (memory, swap, disks); null when unknown. */
export function usedFromFree(total: number | null | undefined, free: number | null | undefined): number | null {
  if (total == null || free == null) return null;
  return Math.max(0, total - free);
}

/** The load averages, `0.52 · 0.61 · 0.70` (1, 5, 15 minutes). */
export function formatLoad(load: { one: number | null; five: number | null; fifteen: number | null }): string {
  return [load.one, load.five, load.fifteen].map((l) => (l == null ? "—" : l.toFixed(2))).join(" · ");
}

/** How long the server has been up: `3 days, 4 h`, `4 h 12 min`, `12 min`, `45 s`. */
export function formatUptime(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} day${days === 1 ? "" : "s"}, ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min`;
  return `${s} s`;
}

/** Bytes in and out (network, disk) as one phrase: `1.2 MB / 300 KB`. */
export function inOut(a: number | null | undefined, b: number | null | undefined): string {
  const f = (n: number | null | undefined) => (n == null ? "—" : formatBytes(n));
  return `${f(a)} / ${f(b)}`;
}

const MIB = 1024 * 1024;

/**
 * An app's use over time as uPlot's columns: times in seconds (uPlot's
 * unit), CPU percent, memory used and memory limit in MiB. Samples without
 * a time are left out, the rest sorted by time; `current` (what `stats`
 * answered now) is appended when it is newer than the last sample. A
 * memory limit of 0 (a stopped app's) is left as a gap.
 */
export function chartData(
  samples: { at: number | null; usage: Usage }[],
  current?: { at: number | null; total: Usage } | null,
): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  const points = samples.filter((s): s is { at: number; usage: Usage } => s.at != null).sort((a, b) => a.at - b.at);
  const last = points.length ? points[points.length - 1].at : -Infinity;
  if (current?.at != null && current.at > last) points.push({ at: current.at, usage: current.total });
  const mib = (n: number | null) => (n == null ? null : Math.round((n / MIB) * 10) / 10);
  return [
    points.map((p) => p.at / 1000),
    points.map((p) => p.usage.cpuPercent),
    points.map((p) => mib(p.usage.memoryUsed)),
    // A limit of 0 is no limit known (a stopped app's sample): no point rather than a drop to 0.
    points.map((p) => (p.usage.memoryLimit ? mib(p.usage.memoryLimit) : null)),
  ];
}

/** A log line cut where it contains `query` (in any case), for highlighting the matches. */
export function highlightParts(text: string, query: string): { text: string; match: boolean }[] {
  if (!query) return text ? [{ text, match: false }] : [];
  const hay = text.toLowerCase();
  const needle = query.toLowerCase();
  const parts: { text: string; match: boolean }[] = [];
  let from = 0;
  for (;;) {
    const at = hay.indexOf(needle, from);
    if (at < 0 || needle.length === 0) break;
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false });
  return parts;
}

/** The time of a log line (RFC 3339 to the nanosecond, as the engine stamps it) in ms; null if it is not one. */
export function logTime(time: string): number | null {
  // Date.parse is only sure of milliseconds: cut finer fractions.
  const ms = Date.parse(time.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(ms) ? null : ms;
}

/** Log lines as a downloaded log has them: `TIME SERVICE STREAM TEXT`, one a line. */
export function logsText(entries: { time: string; service: string; stream: string; text: string }[]): string {
  return entries.map((e) => `${e.time} ${e.service} ${e.stream} ${e.text}\n`).join("");
}

// ---- Limits and disk caps ----

/** Docker refuses a memory limit below this. */
export const MIN_MEMORY = 6 * MIB;
/** The smallest disk cap (an ext4 filesystem and a little data). */
export const MIN_DISK_CAP = 16 * MIB;

/** Bytes as a size the inputs take back: `96m`, `2g`, `1.5g`, `1000` (bytes). */
export function sizeText(bytes: number): string {
  for (const [unit, scale] of [["t", 1024 ** 4], ["g", 1024 ** 3], ["m", MIB], ["k", 1024]] as const) {
    if (bytes >= scale && (bytes * 10) % scale === 0) return `${bytes / scale}${unit}`;
  }
  return String(bytes);
}

/** An app's limits in words, as the Limits section lists them ("unlimited" when there is none). */
export function limitsText(l: LimitsInfo): { cpus: string; memory: string; memorySwap: string; pids: string } {
  const memory = l.memory ?? null;
  const swap = l.memorySwap ?? null;
  return {
    cpus: l.cpus == null ? "unlimited" : String(l.cpus),
    memory: memory == null ? "unlimited" : formatBytes(memory),
    memorySwap:
      swap === -1 || (swap == null && memory == null)
        ? "unlimited"
        : swap == null
          ? `twice the memory (${formatBytes(2 * memory!)})`
          : formatBytes(swap),
    pids: l.pids == null ? "unlimited" : String(l.pids),
  };
}

/** The Limits form's fields, as typed. */
export type LimitsForm = { cpus: string; memory: string; memorySwap: string; pids: string };

/** The form filled in with the limits in force (empty where there is none). */
export function limitsForm(l: LimitsInfo): LimitsForm {
  const swap = l.memorySwap ?? null;
  return {
    cpus: l.cpus == null ? "" : String(l.cpus),
    memory: l.memory == null ? "" : sizeText(l.memory),
    memorySwap: swap == null ? "" : swap === -1 ? "unlimited" : sizeText(swap),
    pids: l.pids == null ? "" : String(l.pids),
  };
}

/** What the host allows: its CPUs and memory (null when unknown: not checked here, the daemon checks). */
export type HostBounds = { cores: number | null; memory: number | null };

/** The `limits` arguments (besides the app): null keeps a limit as it is. */
export type LimitsChange = { cpus: number | null; memory: number | null; memorySwap: number | null; pids: number | null };

/**
 * Checks the Limits form against the host, as the daemon would, and says
 * what to send: only the limits that change (an empty field, or one as it
 * is, keeps its limit). `problems` are sentences; nothing is sent while
 * there are any.
 */
export function limitsChange(form: LimitsForm, current: LimitsInfo, host: HostBounds): { change: LimitsChange; problems: string[] } {
  const problems: string[] = [];
  const change: LimitsChange = { cpus: null, memory: null, memorySwap: null, pids: null };

  const cpusText = form.cpus.trim();
  if (cpusText) {
    const cpus = Number(cpusText);
    if (!Number.isFinite(cpus) || cpus <= 0) problems.push("CPUs must be a number above 0, like 0.5 or 2.");
    else if (host.cores != null && cpus > host.cores) problems.push(`${cpus} CPUs is more than this server has (${host.cores}).`);
    else if (cpus !== current.cpus) change.cpus = cpus;
  }

  const memoryText = form.memory.trim();
  if (memoryText) {
    const memory = parseSize(memoryText);
    if (memory === null) problems.push("Memory must be a size like 512m or 2g.");
    else if (memory < MIN_MEMORY) problems.push(`Memory must be at least 6 MB (${formatBytes(memory)} is too little for Docker).`);
    else if (host.memory != null && memory > host.memory) problems.push(`${formatBytes(memory)} of memory is more than this server has (${formatBytes(host.memory)}).`);
    else if (memory !== current.memory) change.memory = memory;
  }

  const swapText = form.memorySwap.trim().toLowerCase();
  if (swapText) {
    const swap = swapText === "unlimited" || swapText === "-1" ? -1 : parseSize(swapText);
    if (swap === null) problems.push("Memory + swap must be a size like 1g, or “unlimited”.");
    else if (swap !== (current.memorySwap ?? null)) change.memorySwap = swap;
  }

  const pidsText = form.pids.trim();
  if (pidsText) {
    const pids = Number(pidsText);
    if (!Number.isInteger(pids) || pids < 1) problems.push("Processes must be a whole number, at least 1.");
    else if (pids !== current.pids) change.pids = pids;
  }

  // Memory + swap as it will be, against memory as it will be.
  const memory = change.memory ?? current.memory ?? null;
  const swap = change.memorySwap ?? current.memorySwap ?? null;
  if (problems.length === 0 && memory != null && swap != null && swap !== -1 && swap < memory) {
    problems.push(
      `Memory + swap (${formatBytes(swap)}) cannot be less than memory (${formatBytes(memory)}): give the same size for no swap, or “unlimited”.`,
    );
  }
  if (problems.length === 0 && Object.values(change).every((v) => v === null)) {
    problems.push("These are the limits already in force: change one first.");
  }
  return { change, problems };
}

/** A limits outcome in words (the daemon's word itself when it is a new one). */
const OUTCOMES: Record<string, string> = {
  updated: "Changed live",
  unchanged: "Already so",
  not_created: "Applies when created",
  needs_recreate: "Applies at the next start",
};

/** What a limits change did, per service: `Changed live: web. Applies when created: worker.` */
export function limitsResult(changed: LimitsChanged): string {
  const entries = Object.entries(changed.services).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return "Saved: the app's containers get the new limits when they are created.";
  const groups = new Map<string, string[]>(Object.values(OUTCOMES).map((w) => [w, []]));
  for (const [service, outcome] of entries) {
    const words = OUTCOMES[outcome] ?? outcome;
    groups.set(words, [...(groups.get(words) ?? []), service]);
  }
  return [...groups]
    .filter(([, services]) => services.length > 0)
    .map(([words, services]) => `${words}: ${services.join(", ")}.`)
    .join(" ");
}

/** What changing a disk cap from `from` to `to` (null: none) does. */
export type DiskCapChange = "first" | "lower" | "raise" | "remove" | "same";
export function diskCapChange(from: number | null | undefined, to: number | null): DiskCapChange {
  const f = from ?? null;
  if (f === to) return "same";
  if (to === null) return "remove";
  if (f === null) return "first";
  return to < f ? "lower" : "raise";
}

/** Whether a disk cap change stops the app and starts it again (its data copied). */
export const diskCapRestarts = (change: DiskCapChange): boolean => change === "first" || change === "lower" || change === "remove";

/**
 * Checks a disk cap typed in: a size, at least 16 MB, no less than what the
 * data takes, no more than the disk holding Berth's home (when known).
 */
export function diskCapProblem(text: string, used: number | null | undefined, hostDisk: number | null | undefined): { bytes: number | null; problem: string | null } {
  const bytes = parseSize(text);
  if (bytes === null) return { bytes, problem: "The cap must be a size like 512m or 10g." };
  if (bytes < MIN_DISK_CAP) return { bytes, problem: `A disk cap is at least 16 MB (${formatBytes(bytes)} is too small).` };
  if (used != null && used > bytes) {
    return { bytes, problem: `The app's data takes ${formatBytes(used)}, more than a cap of ${formatBytes(bytes)}: choose a larger cap.` };
  }
  if (hostDisk != null && bytes > hostDisk) {
    return { bytes, problem: `${formatBytes(bytes)} is more than the disk Berth keeps apps on (${formatBytes(hostDisk)}).` };
  }
  return { bytes, problem: null };
}

/** An app's disk in words: `1.2 MB of 32 MB`, or `1.2 MB used, not capped`. */
export function diskText(d: AppDisk): string {
  const used = d.used == null ? "—" : formatBytes(d.used);
  return d.cap == null ? `${used} used, not capped` : `${used} of ${formatBytes(d.cap)}`;
}

/** How a disk cap change ended, in a sentence. */
export function diskCapResult(change: DiskCapChange, d: AppDisk): string {
  const what =
    change === "remove" ? "The disk cap is removed." : d.cap != null ? `The disk is capped at ${formatBytes(d.cap)}.` : "The disk is not capped.";
  return d.restarted ? `${what} The app was restarted for this.` : what;
}
