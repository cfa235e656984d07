import { describe, expect, it } from "vitest";
import { highlightParts, logsText, logTime } from "./logs";

describe("log lines", () => {
  it("splits a line where it matches, in any case", () => {
    expect(highlightParts("GET /index.html 200 get", "get")).toEqual([
      { text: "GET", match: true },
      { text: " /index.html 200 ", match: false },
      { text: "get", match: true },
    ]);
    expect(highlightParts("Server started on :80", "STARTED")).toEqual([
      { text: "Server ", match: false },
      { text: "started", match: true },
      { text: " on :80", match: false },
    ]);
    expect(highlightParts("aaa", "aa")).toEqual([
      { text: "aa", match: true },
      { text: "a", match: false },
    ]);
    expect(highlightParts("nothing here", "zzz")).toEqual([{ text: "nothing here", match: false }]);
    expect(highlightParts("plain", "")).toEqual([{ text: "plain", match: false }]);
  });
  it("reads the engine's nanosecond stamps", () => {
    expect(logTime("2026-05-01T12:00:01.123456789Z")).toBe(Date.UTC(2026, 4, 1, 12, 0, 1, 123));
    expect(logTime("2026-05-01T12:00:01Z")).toBe(Date.UTC(2026, 4, 1, 12, 0, 1));
    expect(logTime("not a time")).toBeNull();
  });
  it("writes lines as the downloaded log has them", () => {
    expect(
      logsText([
        { time: "2026-05-01T12:00:01.5Z", service: "web", stream: "stdout", text: "hello" },
        { time: "2026-05-01T12:00:02.5Z", service: "db", stream: "stderr", text: "oops" },
      ]),
    ).toBe("2026-05-01T12:00:01.5Z web stdout hello\n2026-05-01T12:00:02.5Z db stderr oops\n");
  });
});
