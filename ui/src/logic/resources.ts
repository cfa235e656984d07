// What an app uses over time, as the charts draw it.
import type { Usage } from "../bindings";
import { MIB } from "./format";

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
