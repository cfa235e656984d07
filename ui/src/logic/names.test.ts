import { describe, expect, it } from "vitest";
import { nameChoiceProblem, nameFromId, nameProblem, suggestedName } from "./names";

describe("app names", () => {
  it("are DNS labels, not reserved", () => {
    for (const good of ["a", "jellyfin", "my-app", "app2", "x".repeat(63)]) expect(nameProblem(good)).toBeNull();
    expect(nameProblem("")).toMatch(/Give the app a name/);
    expect(nameProblem("x".repeat(64))).toMatch(/longer than 63/);
    expect(nameProblem("My_App")).toMatch(/lowercase letters, digits and -/);
    expect(nameProblem("a.b")).toMatch(/lowercase/);
    expect(nameProblem("-a")).toMatch(/cannot start or end/);
    expect(nameProblem("a-")).toMatch(/cannot start or end/);
    expect(nameProblem("berth")).toMatch(/kept for Berth/);
    expect(nameProblem("wpad")).toMatch(/kept for Berth/);
  });

  it("come from ids as the engine makes them", () => {
    expect(nameFromId("jellyfin")).toBe("jellyfin");
    expect(nameFromId("my_app")).toBe("my-app");
    expect(nameFromId("_x_")).toBe("x");
    expect(nameFromId("__")).toBe("app");
    expect(nameFromId("berth")).toBe("berth-app");
    expect(nameFromId(`${"a".repeat(62)}_b`)).toBe("a".repeat(62));
  });

  it("are suggested free and refused when taken by another app", () => {
    expect(suggestedName("web", ["web", "web-2"])).toBe("web-3");
    expect(suggestedName("api", ["web"])).toBe("api");
    expect(suggestedName("x".repeat(63), ["x".repeat(63)])).toBe(`${"x".repeat(61)}-2`);
    const taken = { wiki: "wiki_app" };
    expect(nameChoiceProblem("wiki", taken)).toMatch(/The app wiki_app is named wiki already/);
    expect(nameChoiceProblem("wiki", taken, "wiki_app")).toBeNull();
    expect(nameChoiceProblem("Wiki", taken)).toMatch(/lowercase/);
    expect(nameChoiceProblem("notes", taken)).toBeNull();
  });
});

describe("the gate page", () => {
  it("reads its app and path", async () => {
    const { gateRequest, gateUrlFine } = await import("./names");
    expect(gateRequest("?app=wiki&to=%2Fa%3Fb%3D1")).toEqual({ app: "wiki", to: "/a?b=1" });
    expect(gateRequest("?app=wiki")).toEqual({ app: "wiki", to: "/" });
    expect(gateRequest("?app=Bad_Name&to=/")).toBeNull();
    expect(gateRequest("")).toBeNull();
    expect(gateUrlFine("//wiki.home.test:8080/.berth/gate?ticket=ab&to=/")).toBe(true);
    expect(gateUrlFine("//evil.test/x")).toBe(false);
    expect(gateUrlFine("https://evil.test/.berth/gate?")).toBe(false);
    expect(gateUrlFine("javascript:alert(1)//x/.berth/gate?")).toBe(false);
  });
});
