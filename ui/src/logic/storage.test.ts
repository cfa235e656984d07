import { describe, expect, it } from "vitest";
import type { PruneReport, PrunedImage, SnapshotInfo } from "../bindings";
import { pruneSummary, snapshotLabel, snapshotReason } from "./storage";

describe("reclaim space", () => {
  const image = (id: string, bytes: number | null): PrunedImage => ({ id, references: [`x/${id}:1`], bytes, unusedSince: null });
  const report = (extra: Partial<PruneReport>): PruneReport => ({
    dryRun: true,
    images: [],
    bytes: null,
    keptForRollback: [],
    tooRecent: null,
    ...extra,
  });
  it("says what a dry run would free", () => {
    expect(pruneSummary(report({}))).toBe("Nothing to free.");
    expect(pruneSummary(report({ images: [image("a", 1024 * 1024)], bytes: 1024 * 1024 }))).toBe("1.0 MB in 1 image can be freed.");
    // Without a total, the images' sizes add up.
    expect(pruneSummary(report({ images: [image("a", 3 * 1024 * 1024), image("b", 2 * 1024 * 1024), image("c", null)] }))).toBe(
      "5.0 MB in 3 images can be freed.",
    );
    expect(pruneSummary(report({ keptForRollback: [image("k", 10)], tooRecent: 2 }))).toBe(
      "Nothing to free; 1 image kept for rollbacks; 2 images used too recently to remove.",
    );
  });
  it("says what a cleanup freed", () => {
    expect(pruneSummary(report({ dryRun: false }))).toBe("Nothing was freed.");
    expect(pruneSummary(report({ dryRun: false, images: [image("a", 1), image("b", 1)], bytes: 20 * 1024 * 1024, keptForRollback: [image("k", 1), image("l", 1)] }))).toBe(
      "Freed 20 MB (2 images); 2 images kept for rollbacks.",
    );
    expect(pruneSummary(report({ dryRun: false, tooRecent: 1 }))).toBe("Nothing was freed; 1 image used too recently to remove.");
  });
});

describe("snapshots", () => {
  const snap = (extra: Partial<SnapshotInfo>): SnapshotInfo => ({
    id: "s1",
    createdAt: 1,
    reason: "before updating to test/greeter@1.2.0",
    source: "test/greeter@1.1.0",
    bytes: null,
    images: [],
    ...extra,
  });
  it("names a snapshot by its version and size", () => {
    expect(snapshotLabel(snap({}))).toBe("1.1.0");
    expect(snapshotLabel(snap({ bytes: 2048 }))).toBe("1.1.0, 2.0 KB of data");
    expect(snapshotLabel(snap({ source: "/srv/compose.yml", bytes: 0 }))).toBe("/srv/compose.yml, 0 B of data");
  });
  it("names the snapshot a rollback went to by its version", () => {
    const older = snap({ id: "2026-12-01T19-53-13Z-op4" });
    const list = [snap({ id: "2026-12-01T19-53-15Z-op5", source: "test/greeter@1.2.0", reason: "before rolling back to 2026-12-01T19-53-13Z-op4" }), older];
    expect(snapshotReason(list[0].reason, list)).toBe("before rolling back to 1.1.0");
    // A snapshot no longer kept keeps its id; other reasons stay as they are.
    expect(snapshotReason("before rolling back to gone-op1", list)).toBe("before rolling back to gone-op1");
    expect(snapshotReason("before updating to test/greeter@1.2.0", list)).toBe("before updating to test/greeter@1.2.0");
    // Your own compose file's versions by their short digest.
    expect(snapshotReason("before updating to /var/lib/berth/apps/mine/source/7f905fcbf5b4ef0b/compose.yml", list)).toBe(
      "before updating to 7f905fc",
    );
  });
});
