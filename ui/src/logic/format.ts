// Numbers as people read them: sizes, percents, load, uptime.

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

/** A mebibyte, in bytes. */
export const MIB = 1024 * 1024;

/** The y axis's width in pixels for its labels: about 7 px a character, plus the ticks' room. */
export function axisWidth(values: string[] | null | undefined): number {
  const longest = Math.max(0, ...(values ?? []).map((v) => v.length));
  return Math.max(50, longest * 7 + 22);
}
