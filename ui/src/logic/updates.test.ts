import { describe, expect, it } from "vitest";
import type { AppUpdate } from "../bindings";
import { downloadText } from "./install";
import { hasUpdate, updateButtonText, updateCount } from "./updates";

const upd = (extra: Partial<AppUpdate> = {}): AppUpdate => ({
  app: "greeter",
  current: "test/greeter@1.1.0",
  version: null,
  releaseNotes: null,
  changedImages: [],
  downloadBytes: null,
  error: null,
  ...extra,
});


describe("update check", () => {
  it("counts the apps that have something to update to", () => {
    expect(hasUpdate(upd())).toBe(false);
    expect(hasUpdate(upd({ version: "1.2.0" }))).toBe(true);
    expect(hasUpdate(upd({ changedImages: ["nginx:1"] }))).toBe(true);
    // A failed check alone is not an update.
    expect(hasUpdate(upd({ error: "the registry is out of reach" }))).toBe(false);
    expect(updateCount(null)).toBe(0);
    expect(updateCount(undefined)).toBe(0);
    expect(updateCount({ checkedAt: 1, apps: [] })).toBe(0);
    expect(
      updateCount({
        checkedAt: 1,
        apps: [upd({ app: "a", version: "2" }), upd({ app: "b" }), upd({ app: "c", changedImages: ["x:1"] }), upd({ app: "d", error: "no" })],
      }),
    ).toBe(2);
  });

  it("says what an update brings on its button", () => {
    expect(updateButtonText(upd({ version: "1.2.0" }))).toBe("Update to 1.2.0");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: null }))).toBe("Update to 1.2.0");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: 0 }))).toBe("Update to 1.2.0 (no download)");
    expect(updateButtonText(upd({ version: "1.2.0", downloadBytes: 12e6 }))).toBe("Update to 1.2.0 (11 MB)");
    expect(updateButtonText(upd({ changedImages: ["x:1"] }))).toBe("Update to newer images");
    expect(updateButtonText(upd({ changedImages: ["x:1"], downloadBytes: 1536 }))).toBe("Update to newer images (1.5 KB)");
  });

  it("says how much an install downloads, or nothing when unknown", () => {
    expect(downloadText(null)).toBeNull();
    expect(downloadText({ images: [], total: null })).toBeNull();
    expect(downloadText({ images: [], total: 0 })).toBe("Everything needed is already here.");
    expect(downloadText({ images: [], total: 5 * 1024 * 1024 })).toBe("Downloads 5.0 MB.");
    expect(downloadText({ images: [], total: 64 * 1024 * 1024 })).toBe("Downloads 64 MB.");
  });
});
