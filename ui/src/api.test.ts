import { describe, expect, it } from "vitest";

describe("desktop transport", () => {
  it("names commands as the desktop's tauri-specta commands", async () => {
    const { tauriName, inDesktop } = await import("./api");
    expect(tauriName("catalogSearch")).toBe("catalog_search");
    expect(tauriName("apps")).toBe("apps");
    expect(inDesktop()).toBe(false);
  });
});

