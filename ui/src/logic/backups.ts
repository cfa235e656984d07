// Backups: where they go (targets), what each app has, and the words for a
// backup's progress and result.
import type { AppBackupStatus, BackupInfo, BackupReport, Keep, ScheduleInfo, Step, Target, TargetAdded } from "../bindings";
import { formatBytes } from "./format";

/** What kind of place a target is, in words. */
export function targetKindText(t: Target): string {
  return t.kind === "sftp" ? "Another machine (SFTP)" : "A folder of this server";
}

/** Where a target is, for people. */
export function targetPlace(t: Target): string {
  if (t.kind === "sftp") {
    const path = t.path.startsWith("/") ? t.path : `/~/${t.path}`;
    return `sftp://${t.user}@${t.host}${t.port === 22 ? "" : `:${t.port}`}${path}`;
  }
  return t.path;
}

/** What is wrong with a new target's place before it is sent; null when it can be sent. */
export function targetProblem(kind: "folder" | "sftp", place: string): string | null {
  const p = place.trim();
  if (kind === "folder") {
    if (!p) return "Give the folder: a full path on the server, like /mnt/usb/berth-backups.";
    if (!p.startsWith("/")) return "The folder is a full path on the server, starting with /.";
    return null;
  }
  const m = /^sftp:\/\/([^@/\s]+)@([^:/\s]+)(:(\d+))?(\/.*)$/.exec(p);
  if (!m) return "Write it as sftp://user@host/path (a port after the host if it is not 22, like nas:2222).";
  const port = m[4] ? Number(m[4]) : 22;
  if (!(port > 0 && port < 65536)) return "The port is a number from 1 to 65535.";
  if (m[5].split("/").includes("..")) return "The path may not climb with ..";
  if (m[5] === "/") return "Give a folder for the backups, not the server's root.";
  return null;
}

/** Each app's newest backup. */
export function newestByApp(backups: BackupInfo[]): Record<string, BackupInfo> {
  const newest: Record<string, BackupInfo> = {};
  for (const b of backups) {
    const have = newest[b.app];
    if (!have || b.time > have.time) newest[b.app] = b;
  }
  return newest;
}

/** A backup's time as the server wrote it (RFC 3339), shorter: "2026-12-03 09:40". */
export function backupTime(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(time);
  return m ? `${m[1]} ${m[2]} UTC` : time;
}

/** One line for a backup in a list. */
export function backupLine(b: BackupInfo): string {
  const version = b.version && b.version !== "compose" ? `version ${b.version}` : "from its compose file";
  return `${backupTime(b.time)} · ${version} · ${formatBytes(b.bytes ?? 0)}`;
}

/** A backup's step, as the app's row shows it while it runs. */
export function backupStepText(step: Step): string {
  switch (step) {
    case "stop":
      return "Stopping the app for a consistent copy…";
    case "dump":
      return "Dumping its database while it runs…";
    case "snapshot":
      return "Copying its data…";
    case "start":
      return "Starting it again…";
    case "copy":
      return "Sending the copy to the target…";
    default:
      return `Step: ${step}`;
  }
}

/** The sentence after a backup. */
export function backupDone(r: BackupReport): string {
  const size = `${formatBytes(r.backup.bytes ?? 0)}, ${formatBytes(r.backup.added ?? 0)} new`;
  const down =
    r.consistency === "stopped"
      ? `it was stopped for ${((r.downtimeMs ?? 0) / 1000).toFixed(1)} s for a consistent copy`
      : r.consistency === "dump"
        ? `it kept running: its data was kept consistent by a database dump (${r.dump ?? "declared in its app.yml"}), no downtime`
        : "it was not running";
  return `Backed up to ${r.target} as ${r.backup.shortId} (${size}); ${down}.`;
}

/** The sentence after a target is added (the password is shown apart). */
export function targetAdded(a: TargetAdded): string {
  const repo = a.created ? "a new restic repository was made there" : "the restic repository there was opened";
  return `${a.target.name} is added: ${targetPlace(a.target)}; ${repo}.`;
}

/** Every app's schedule, in a sentence. */
export function scheduleSentence(rule: { at: string; enabled: boolean; keep: Keep }, timeZone: string): string {
  const keep = `keeping the newest of each of the last ${rule.keep.daily} days, ${rule.keep.weekly} weeks and ${rule.keep.monthly} months`;
  return rule.enabled
    ? `Every app is backed up daily at ${rule.at} (${timeZone}), ${keep}.`
    : `Apps are not backed up on a schedule (only those set apart, and when you click Back up now); backups are kept ${keep.replace("keeping ", "")}.`;
}

/** A time in ms as the user's clock shows it: "today 03:00", "tomorrow 03:00", or a date. */
export function whenText(ms: number, now: number = Date.now()): string {
  const d = new Date(ms);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  const day = (t: number) => new Date(t).toDateString();
  if (day(ms) === day(now)) return `today ${hm}`;
  if (day(ms) === day(now + 86_400_000)) return `tomorrow ${hm}`;
  if (day(ms) === day(now - 86_400_000)) return `yesterday ${hm}`;
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${hm}`;
}

/** What an app's row says of its backups: the warning first, then the last failure if it is newer than the last success. */
export function backupHealth(s: AppBackupStatus, now: number = Date.now()): { text: string; bad: boolean } {
  if (s.warning) return { text: s.warning, bad: true };
  const ok = s.lastSuccess?.at ?? null;
  const failed = s.lastFailure?.at ?? null;
  if (failed !== null && (ok === null || failed > ok)) {
    return { text: `The last backup failed (${whenText(failed, now)}): ${s.lastFailure?.error ?? "see History"}`, bad: true };
  }
  if (ok !== null) return { text: `Last backed up ${whenText(ok, now)}`, bad: false };
  return { text: "Not backed up yet", bad: false };
}

/** What is wrong with a schedule form before it is sent; null when it can be sent. */
export function scheduleProblem(at: string, keep: Keep): string | null {
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(at)) return "The time is HH:MM on a 24-hour clock, like 03:00.";
  const counts = [keep.daily, keep.weekly, keep.monthly];
  if (counts.some((n) => !Number.isInteger(n) || n < 0 || n > 1000)) return "Keep counts are whole numbers from 0 to 1000.";
  if (counts.every((n) => n === 0)) return "Keep at least one backup: one of the counts must be more than 0.";
  return null;
}

/** Whether the app's backups hold its shares' files (off unless turned on for it). */
export function includesShares(info: ScheduleInfo | null, app: string): boolean {
  return info?.schedule?.apps?.[app]?.includeShares === true;
}
