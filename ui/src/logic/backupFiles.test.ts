import { describe, expect, it } from "vitest";
import { canPutBack, crumbs, filesRestoredText } from "./backupFiles";

describe("backup files", () => {
  it("puts back only what has a place in the app", () => {
    expect(canPutBack("data/config/app.ini")).toBe(true);
    expect(canPutBack("data")).toBe(true);
    expect(canPutBack("volumes/db/base")).toBe(true);
    expect(canPutBack("volumes/db")).toBe(true);
    expect(canPutBack("volumes")).toBe(false);
    expect(canPutBack("compose.yml")).toBe(false);
    expect(canPutBack("")).toBe(false);
  });

  it("shows the folders above a path", () => {
    expect(crumbs("")).toEqual([{ name: "Backup", path: "" }]);
    expect(crumbs("data/notes/")).toEqual([
      { name: "Backup", path: "" },
      { name: "data", path: "data" },
      { name: "notes", path: "data/notes" },
    ]);
  });

  it("says what was put back and where the replaced files are", () => {
    const r = { operation: 4, backup: "1a2b3c4d", to: "web's own folders", files: 1, bytes: 2048, replaced: 1, keptIn: "/var/lib/berth/backup/replaced/web/x", skipped: 0 };
    const s = filesRestoredText(r);
    expect(s).toContain("Put back 1 file");
    expect(s).toContain("backup 1a2b3c4d");
    expect(s).toContain("The file it replaced is kept in /var/lib/berth/backup/replaced/web/x");
    expect(filesRestoredText({ ...r, files: 3, replaced: 0, keptIn: null, skipped: 2 })).toMatch(/3 files.*2 device/);
  });
});
