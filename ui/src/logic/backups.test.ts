import { describe, expect, it } from "vitest";
import type { BackupInfo, BackupReport, ScheduleInfo, Target } from "../bindings";
import { backupDone, backupHealth, includesShares, backupLine, backupTime, newestByApp, scheduleProblem, scheduleSentence, targetPlace, targetProblem, whenText } from "./backups";

const backup = (app: string, time: string, over: Partial<BackupInfo> = {}): BackupInfo => ({
  id: "a".repeat(64),
  shortId: "aaaaaaaa",
  time,
  app,
  version: "1.2.0",
  host: "box",
  files: 3,
  bytes: 7_000_000,
  added: 1000,
  ...over,
});

describe("backups", () => {
  it("checks a target's place before it is sent", () => {
    expect(targetProblem("folder", "/mnt/usb/b")).toBeNull();
    expect(targetProblem("folder", "mnt/usb")).toMatch(/starting with \//);
    expect(targetProblem("folder", " ")).toMatch(/Give the folder/);
    expect(targetProblem("sftp", "sftp://backup@nas.lan:2222/volume1/berth")).toBeNull();
    expect(targetProblem("sftp", "sftp://me@10.0.0.5/~/berth")).toBeNull();
    expect(targetProblem("sftp", "nas:/srv")).toMatch(/sftp:\/\/user@host\/path/);
    expect(targetProblem("sftp", "sftp://nas/srv")).toMatch(/sftp:\/\/user@host\/path/);
    expect(targetProblem("sftp", "sftp://me@nas:99999/srv")).toMatch(/port/);
    expect(targetProblem("sftp", "sftp://me@nas/srv/../etc")).toMatch(/climb/);
    expect(targetProblem("sftp", "sftp://me@nas/")).toMatch(/root/);
  });

  it("writes a target's place as the user typed it", () => {
    const sftp = { name: "nas", kind: "sftp", user: "me", host: "nas", port: 22, path: "berth", key: "/k", knownHosts: "/h" } as Target;
    expect(targetPlace(sftp)).toBe("sftp://me@nas/~/berth");
    expect(targetPlace({ ...sftp, port: 2222, path: "/srv/b" } as Target)).toBe("sftp://me@nas:2222/srv/b");
    expect(targetPlace({ name: "folder", kind: "folder", path: "/mnt/b" })).toBe("/mnt/b");
  });

  it("keeps each app's newest backup", () => {
    const newest = newestByApp([
      backup("wiki", "2026-12-01T03:00:00Z"),
      backup("wiki", "2026-12-03T03:00:00Z", { shortId: "bbbbbbbb" }),
      backup("photos", "2026-12-02T03:00:00Z"),
    ]);
    expect(newest.wiki.shortId).toBe("bbbbbbbb");
    expect(Object.keys(newest).sort()).toEqual(["photos", "wiki"]);
  });

  it("says when, which version and how big", () => {
    expect(backupTime("2026-12-03T09:40:12Z")).toBe("2026-12-03 09:40 UTC");
    expect(backupLine(backup("wiki", "2026-12-03T09:40:12Z"))).toBe("2026-12-03 09:40 UTC · version 1.2.0 · 6.7 MB");
    expect(backupLine(backup("x", "2026-12-03T09:40:12Z", { version: "compose" }))).toContain("from its compose file");
  });

  it("says how a backup went and how long the app was down", () => {
    const r: BackupReport = { operation: 4, target: "nas", backup: backup("wiki", "2026-12-03T09:40:12Z"), consistency: "stopped", dump: null, downtimeMs: 1500 };
    expect(backupDone(r)).toBe("Backed up to nas as aaaaaaaa (6.7 MB, 1000 B new); it was stopped for 1.5 s for a consistent copy.");
    expect(backupDone({ ...r, consistency: "not running" })).toContain("it was not running");
    expect(backupDone({ ...r, consistency: "dump", dump: "pg_dump", downtimeMs: 0 })).toContain(
      "kept consistent by a database dump (pg_dump), no downtime",
    );
  });
});

describe("backup schedule and status", () => {
  const keep = { daily: 7, weekly: 4, monthly: 6 };
  it("says the schedule in a sentence", () => {
    expect(scheduleSentence({ at: "03:00", enabled: true, keep }, "Europe/Paris")).toBe(
      "Every app is backed up daily at 03:00 (Europe/Paris), keeping the newest of each of the last 7 days, 4 weeks and 6 months.",
    );
    expect(scheduleSentence({ at: "03:00", enabled: false, keep }, "UTC")).toMatch(/^Apps are not backed up on a schedule/);
  });

  it("checks the schedule form", () => {
    expect(scheduleProblem("03:00", keep)).toBeNull();
    expect(scheduleProblem("3:00", keep)).toMatch(/HH:MM/);
    expect(scheduleProblem("24:00", keep)).toMatch(/HH:MM/);
    expect(scheduleProblem("03:00", { daily: 0, weekly: 0, monthly: 0 })).toMatch(/at least one/);
    expect(scheduleProblem("03:00", { daily: -1, weekly: 0, monthly: 1 })).toMatch(/whole numbers/);
  });

  it("names days relative to now", () => {
    const now = new Date(2026, 11, 3, 10, 0).getTime();
    expect(whenText(new Date(2026, 11, 3, 3, 5).getTime(), now)).toBe("today 03:05");
    expect(whenText(new Date(2026, 11, 4, 3, 0).getTime(), now)).toBe("tomorrow 03:00");
    expect(whenText(new Date(2026, 11, 2, 3, 0).getTime(), now)).toBe("yesterday 03:00");
    expect(whenText(new Date(2026, 10, 20, 3, 0).getTime(), now)).toBe("2026-11-20 03:00");
  });

  it("puts a warning or a newer failure first", () => {
    const now = new Date(2026, 11, 3, 10, 0).getTime();
    const base = { app: "wiki", scheduled: true, at: "03:00", nextDue: null };
    const ok = { operation: 1, at: new Date(2026, 11, 3, 3, 0).getTime() };
    const failed = { operation: 2, at: new Date(2026, 11, 3, 4, 0).getTime(), error: "the NAS is off" };
    expect(backupHealth({ ...base, lastSuccess: ok, lastFailure: null, warning: null }, now)).toEqual({ text: "Last backed up today 03:00", bad: false });
    expect(backupHealth({ ...base, lastSuccess: ok, lastFailure: failed, warning: null }, now)).toEqual({
      text: "The last backup failed (today 04:00): the NAS is off",
      bad: true,
    });
    expect(backupHealth({ ...base, lastSuccess: null, lastFailure: failed, warning: "no successful backup for a day" }, now).text).toBe("no successful backup for a day");
    expect(backupHealth({ ...base, lastSuccess: null, lastFailure: null, warning: null }, now).text).toBe("Not backed up yet");
  });

  it("reads whether an app's backups hold its shares", () => {
    const info: ScheduleInfo = {
      schedule: {
        since: 1,
        all: { at: "03:00", enabled: true, keep: { daily: 7, weekly: 4, monthly: 6 }, target: null, changedAt: null },
        apps: { jelly: { at: null, enabled: null, keep: null, target: null, changedAt: 1, includeShares: true }, other: { at: "04:00", enabled: null, keep: null, target: null, changedAt: 1, includeShares: null } },
      },
      apps: [],
      timeZone: "UTC",
    };
    expect(includesShares(info, "jelly")).toBe(true);
    expect(includesShares(info, "other")).toBe(false);
    expect(includesShares(info, "absent")).toBe(false);
    expect(includesShares({ ...info, schedule: null }, "jelly")).toBe(false);
    expect(includesShares(null, "jelly")).toBe(false);
  });
});
