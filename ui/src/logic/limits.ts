// An app's limits (CPUs, memory, swap, processes) and disk cap: the form,
// its checks against the host, and what a change did, in words.
import type { AppDisk, LimitsChanged, LimitsInfo } from "../bindings";
import { MIB, formatBytes, parseSize } from "./format";

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
