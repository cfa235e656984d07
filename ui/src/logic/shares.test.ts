import { describe, expect, it } from "vitest";
import type { ShareInfo } from "../bindings";
import { shareAdded, shareProblem, shareState } from "./shares";

describe("shares", () => {
  const share = (extra: Partial<ShareInfo>): ShareInfo => ({ name: "Movies", path: "/srv/movies", present: true, madeByBerth: false, ...extra });
  it("says where a share's folder is", () => {
    expect(shareState(share({}))).toBe("A folder of this server");
    expect(shareState(share({ madeByBerth: true }))).toBe("Made by Berth");
    expect(shareState(share({ present: false }))).toBe("Not there now (a drive that is not plugged in?)");
  });
  it("checks a new share before sending it", () => {
    expect(shareProblem("", "")).toBe("Give the share a name, like Movies.");
    expect(shareProblem("TV Shows", "")).toMatch(/no spaces/);
    expect(shareProblem("../x", "")).toMatch(/letters, digits/);
    expect(shareProblem("Films", "srv/films")).toMatch(/full path/);
    expect(shareProblem("Films", "/srv/films")).toBeNull();
    expect(shareProblem("Films", "")).toBeNull();
    expect(shareAdded(share({}))).toBe("Movies is added: /srv/movies.");
  });
});
