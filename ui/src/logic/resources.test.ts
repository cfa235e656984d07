import { describe, expect, it } from "vitest";
import type { Usage } from "../bindings";
import { barLevel, formatLoad, formatPercent, formatUptime, inOut, percentOf, usedFromFree, usedOf } from "./format";
import { chartData } from "./resources";

describe("resource use", () => {
  it("works out percents for bars, clamped, null when unknown", () => {
    expect(percentOf(25, 200)).toBe(12.5);
    expect(percentOf(300, 200)).toBe(100);
    expect(percentOf(-5, 200)).toBe(0);
    expect(percentOf(1, 0)).toBeNull();
    expect(percentOf(null, 10)).toBeNull();
    expect(percentOf(5, null)).toBeNull();
    expect(barLevel(null)).toBe("ok");
    expect(barLevel(74.9)).toBe("ok");
    expect(barLevel(75)).toBe("warn");
    expect(barLevel(90)).toBe("high");
  });
  it("formats percents, sizes used, loads and uptimes", () => {
    expect(formatPercent(0.4321)).toBe("0.4 %");
    expect(formatPercent(12.6)).toBe("13 %");
    expect(formatPercent(250)).toBe("250 %");
    expect(formatPercent(null)).toBe("—");
    expect(usedOf(1536, 64 * 1024 * 1024)).toBe("1.5 KB of 64 MB");
    expect(usedOf(2048, null)).toBe("2.0 KB");
    expect(usedOf(null, 10)).toBe("—");
    expect(usedFromFree(16, 6)).toBe(10);
    expect(usedFromFree(16, 20)).toBe(0);
    expect(usedFromFree(null, 6)).toBeNull();
    expect(inOut(1024 * 1024, null)).toBe("1.0 MB / —");
    expect(formatLoad({ one: 0.5, five: 1.234, fifteen: null })).toBe("0.50 · 1.23 · —");
    expect(formatUptime(45)).toBe("45 s");
    expect(formatUptime(12 * 60 + 59)).toBe("12 min");
    expect(formatUptime(4 * 3600 + 12 * 60 + 3)).toBe("4 h 12 min");
    expect(formatUptime(86400 + 3600 * 5)).toBe("1 day, 5 h");
    expect(formatUptime(3 * 86400 + 3600 * 4 + 61)).toBe("3 days, 4 h");
    expect(formatUptime(null)).toBe("—");
  });
  const usage = (cpu: number | null, used: number | null, limit: number | null = 64 * 1024 * 1024): Usage => ({
    cpuPercent: cpu,
    memoryUsed: used,
    memoryLimit: limit,
    netRx: 0,
    netTx: 0,
    blockRead: 0,
    blockWrite: 0,
    pids: 1,
  });
  it("shapes samples into uPlot's columns: seconds, CPU %, MiB used and limit", () => {
    const mib = 1024 * 1024;
    const data = chartData(
      [
        { at: 2_000_000_005_000, usage: usage(3.5, 3 * mib) },
        { at: null, usage: usage(99, 99) },
        { at: 2_000_000_000_000, usage: usage(1.25, 1.5 * mib, null) },
      ],
      { at: 2_000_000_010_000, total: usage(7, 2.25 * mib) },
    );
    expect(data).toEqual([
      [2_000_000_000, 2_000_000_005, 2_000_000_010],
      [1.25, 3.5, 7],
      [1.5, 3, 2.3],
      [null, 64, 64],
    ]);
  });
  it("appends the current use only when it is newer than the last sample", () => {
    const samples = [{ at: 10_000, usage: usage(1, 1024 * 1024) }];
    expect(chartData(samples, { at: 10_000, total: usage(50, 0) })[0]).toEqual([10]);
    expect(chartData(samples, { at: null, total: usage(50, 0) })[1]).toEqual([1]);
    expect(chartData([], { at: 4_000, total: usage(2, 0) })).toEqual([[4], [2], [0], [64]]);
    expect(chartData([])).toEqual([[], [], [], []]);
    // A stopped app's sample: nothing used, no limit known.
    expect(chartData([{ at: 1_000, usage: usage(0, 0, 0) }])).toEqual([[1], [0], [0], [null]]);
  });
});
