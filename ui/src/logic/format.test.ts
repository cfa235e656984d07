import { describe, expect, it } from "vitest";
import { formatBytes, parseSize } from "./format";

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
