// Disk space: what a cleanup frees, and the snapshots kept of an app.
import type { PruneReport, SnapshotInfo } from "../bindings";
import { formatBytes } from "./format";
import { versionOf } from "./apps";

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
  return reason
    .replace(/^(before rolling back to )(\S+)$/, (whole, before: string, id: string) => {
      const s = snapshots.find((x) => x.id === id);
      return s ? `${before}${versionOf(s.source)}` : whole;
    })
    .replace(/^(before updating to )(\/\S+)$/, (_, before: string, path: string) => `${before}${versionOf(path)}`);
}
