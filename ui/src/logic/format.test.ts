import { describe, expect, it } from "vitest";
import { axisWidth, formatBytes, parseSize } from "./format";

describe("sizes", () => {
  it("formats and parses", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64 MB");
    expect(parseSize("512m")).toBe(512 * 1024 * 1024);
    expect(parseSize("1.5 GB")).toBe(Math.round(1.5 * 1024 ** 3));
    expect(parseSize("2g")).toBe(2 * 1024 ** 3);
    expect(parseSize("lots")).toBeNull();
  });
});

describe("a chart's y axis", () => {
  it("is wide enough for its longest label", () => {
    expect(axisWidth(["0 %", "50 %"])).toBe(50);
    expect(axisWidth(["0 MiB", "500 MiB", "1000 MiB"])).toBe(8 * 7 + 22);
    expect(axisWidth(["1000 MiB"])).toBeGreaterThan(axisWidth(["500 MiB"]));
    expect(axisWidth(null)).toBe(50);
  });
});
