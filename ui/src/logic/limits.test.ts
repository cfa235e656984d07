import { describe, expect, it } from "vitest";
import type { AppDisk, LimitsApplied, LimitsInfo } from "../bindings";
import { parseSize } from "./format";
import { diskCapChange, diskCapProblem, diskCapRestarts, diskCapResult, diskText, limitsChange, limitsForm, limitsResult, limitsText, sizeText } from "./limits";

describe("limits", () => {
  const MIB = 1024 * 1024;
  const none: LimitsInfo = { cpus: null, memory: null, memorySwap: null, pids: null };
  const greeter: LimitsInfo = { cpus: 0.5, memory: 64 * MIB, memorySwap: null, pids: null };
  const host = { cores: 4, memory: 8 * 1024 * MIB };
  const form = (f: Partial<ReturnType<typeof limitsForm>>) => ({ ...limitsForm(greeter), ...f });

  it("writes sizes the inputs read back", () => {
    expect(sizeText(96 * MIB)).toBe("96m");
    expect(sizeText(2 * 1024 * MIB)).toBe("2g");
    expect(sizeText(1536 * MIB)).toBe("1.5g");
    expect(sizeText(1000)).toBe("1000");
    expect(sizeText(12 * 1024)).toBe("12k");
    for (const n of [96 * MIB, 1536 * MIB, 7 * MIB + 512 * 1024, 123457]) expect(parseSize(sizeText(n))).toBe(n);
  });
  it("says the limits in words", () => {
    expect(limitsText(none)).toEqual({ cpus: "unlimited", memory: "unlimited", memorySwap: "unlimited", pids: "unlimited" });
    expect(limitsText(greeter)).toEqual({ cpus: "0.5", memory: "64 MB", memorySwap: "twice the memory (128 MB)", pids: "unlimited" });
    expect(limitsText({ cpus: 2, memory: 96 * MIB, memorySwap: -1, pids: 100 })).toEqual({ cpus: "2", memory: "96 MB", memorySwap: "unlimited", pids: "100" });
    expect(limitsText({ ...greeter, memorySwap: 64 * MIB }).memorySwap).toBe("64 MB");
  });
  it("fills the form with the limits in force", () => {
    expect(limitsForm(greeter)).toEqual({ cpus: "0.5", memory: "64m", memorySwap: "", pids: "" });
    expect(limitsForm({ cpus: null, memory: null, memorySwap: -1, pids: 50 })).toEqual({ cpus: "", memory: "", memorySwap: "unlimited", pids: "50" });
  });
  it("sends only what changes", () => {
    expect(limitsChange(form({ cpus: "1", memory: "96m" }), greeter, host)).toEqual({
      change: { cpus: 1, memory: 96 * MIB, memorySwap: null, pids: null },
      problems: [],
    });
    expect(limitsChange(form({ pids: "200", memorySwap: "unlimited" }), greeter, host).change).toEqual({ cpus: null, memory: null, memorySwap: -1, pids: 200 });
    expect(limitsChange(form({}), greeter, host).problems).toEqual(["These are the limits already in force: change one first."]);
    // An emptied field keeps its limit.
    expect(limitsChange({ cpus: "", memory: "", memorySwap: "", pids: "3" }, greeter, host).change).toEqual({ cpus: null, memory: null, memorySwap: null, pids: 3 });
  });
  it("refuses what the host cannot give, as the daemon would", () => {
    const problems = (f: Partial<ReturnType<typeof limitsForm>>, current = greeter) => limitsChange(form(f), current, host).problems;
    expect(problems({ memory: "100000g" })).toEqual(["98 TB of memory is more than this server has (8.0 GB)."]);
    expect(problems({ memory: "5m" })).toEqual(["Memory must be at least 6 MB (5.0 MB is too little for Docker)."]);
    expect(problems({ memory: "6m" })).toEqual([]);
    expect(problems({ memory: "lots" })).toEqual(["Memory must be a size like 512m or 2g."]);
    expect(problems({ cpus: "5" })).toEqual(["5 CPUs is more than this server has (4)."]);
    expect(problems({ cpus: "4" })).toEqual([]);
    expect(problems({ cpus: "0" })).toEqual(["CPUs must be a number above 0, like 0.5 or 2."]);
    expect(problems({ cpus: "two" })).toEqual(["CPUs must be a number above 0, like 0.5 or 2."]);
    expect(problems({ pids: "0" })).toEqual(["Processes must be a whole number, at least 1."]);
    expect(problems({ pids: "1.5" })).toEqual(["Processes must be a whole number, at least 1."]);
    expect(problems({ pids: "1" })).toEqual([]);
    expect(problems({ memorySwap: "lots" })).toEqual(["Memory + swap must be a size like 1g, or “unlimited”."]);
    // Memory + swap below memory, as it will be: given, or the one in force.
    expect(problems({ memorySwap: "32m" })).toEqual([
      "Memory + swap (32 MB) cannot be less than memory (64 MB): give the same size for no swap, or “unlimited”.",
    ]);
    expect(problems({ memory: "128m" }, { ...greeter, memorySwap: 96 * MIB })).toEqual([
      "Memory + swap (96 MB) cannot be less than memory (128 MB): give the same size for no swap, or “unlimited”.",
    ]);
    expect(problems({ memory: "128m", memorySwap: "128m" }, { ...greeter, memorySwap: 96 * MIB })).toEqual([]);
    expect(problems({ memory: "1g" }, { ...greeter, memorySwap: -1 })).toEqual([]);
    // An unknown host is left to the daemon.
    expect(limitsChange(form({ cpus: "64", memory: "1t" }), greeter, { cores: null, memory: null }).problems).toEqual([]);
  });
  it("says what the change did per service", () => {
    // A value a newer server might send is shown as it is.
    const changed = (services: Record<string, string>) => ({ operation: 3, limits: greeter, services: services as Record<string, LimitsApplied> });
    expect(limitsResult(changed({ web: "updated" }))).toBe("Changed live: web.");
    expect(limitsResult(changed({ web: "updated", db: "updated", worker: "not_created", cron: "needs_recreate", x: "unchanged" }))).toBe(
      "Changed live: db, web. Already so: x. Applies when created: worker. Applies at the next start: cron.",
    );
    expect(limitsResult(changed({ web: "sideways" }))).toBe("sideways: web.");
    expect(limitsResult(changed({}))).toBe("Saved: the app's containers get the new limits when they are created.");
  });
});

describe("disk caps", () => {
  const MIB = 1024 * 1024;
  const disk = (d: Partial<AppDisk>): AppDisk => ({ used: 2 * MIB, cap: null, nearFull: false, uncapped: null, restarted: false, ...d });

  it("tells which changes restart the app", () => {
    expect(diskCapChange(null, 32 * MIB)).toBe("first");
    expect(diskCapChange(undefined, 32 * MIB)).toBe("first");
    expect(diskCapChange(64 * MIB, 32 * MIB)).toBe("lower");
    expect(diskCapChange(32 * MIB, 64 * MIB)).toBe("raise");
    expect(diskCapChange(32 * MIB, null)).toBe("remove");
    expect(diskCapChange(32 * MIB, 32 * MIB)).toBe("same");
    expect(diskCapChange(null, null)).toBe("same");
    expect(["first", "lower", "remove"].every((c) => diskCapRestarts(c as never))).toBe(true);
    expect(diskCapRestarts("raise")).toBe(false);
    expect(diskCapRestarts("same")).toBe(false);
  });
  it("checks a cap before sending it", () => {
    expect(diskCapProblem("32m", 2 * MIB, 100 * 1024 * MIB)).toEqual({ bytes: 32 * MIB, problem: null });
    expect(diskCapProblem("16m", null, null)).toEqual({ bytes: 16 * MIB, problem: null });
    expect(diskCapProblem("15m", null, null).problem).toBe("A disk cap is at least 16 MB (15 MB is too small).");
    expect(diskCapProblem("big", null, null)).toEqual({ bytes: null, problem: "The cap must be a size like 512m or 10g." });
    expect(diskCapProblem("32m", 40 * MIB, null).problem).toBe("The app's data takes 40 MB, more than a cap of 32 MB: choose a larger cap.");
    expect(diskCapProblem("2t", 0, 100 * 1024 * MIB).problem).toBe("2.0 TB is more than the disk Berth keeps apps on (100 GB).");
  });
  it("says what the disk holds and how a change went", () => {
    expect(diskText(disk({}))).toBe("2.0 MB used, not capped");
    expect(diskText(disk({ cap: 32 * MIB }))).toBe("2.0 MB of 32 MB");
    expect(diskText(disk({ used: null }))).toBe("— used, not capped");
    expect(diskCapResult("first", disk({ cap: 32 * MIB, restarted: true }))).toBe("The disk is capped at 32 MB. The app was restarted for this.");
    expect(diskCapResult("raise", disk({ cap: 64 * MIB }))).toBe("The disk is capped at 64 MB.");
    expect(diskCapResult("remove", disk({ restarted: true }))).toBe("The disk cap is removed. The app was restarted for this.");
  });
});
