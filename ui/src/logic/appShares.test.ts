import { describe, expect, it } from "vitest";
import type { AppShare, ShareInfo, ShareRequest } from "../bindings";
import { accessText, choicesToSend, givenText, initialChoices, shareOption, sharesChanged } from "./appShares";

const request = (name: string, share: string, access: "read" | "write" = "read"): ShareRequest => ({
  name,
  share,
  service: null,
  target: `/${name}`,
  access,
  why: `because ${name}`,
});
const share = (name: string, present = true): ShareInfo => ({ name, path: `/srv/${name}`, present, madeByBerth: false, access: null, smb: "none" });
const given = (req: string, name: string): AppShare => ({ request: req, share: name, path: `/srv/${name}`, service: "web", target: `/${req}`, readOnly: true });

describe("app shares", () => {
  const requests = [request("library", "Books"), request("inbox", "Downloads", "write"), request("scans", "Scans")];

  it("suggests the share the app names, when the server has it and it is there", () => {
    const shares = [share("books"), share("Downloads", false)];
    expect(initialChoices(requests, shares)).toEqual({ library: "books", inbox: "", scans: "" });
  });

  it("starts an installed app's picker from what it has, suggesting nothing new", () => {
    const shares = [share("Books"), share("Downloads"), share("Scans")];
    expect(initialChoices(requests, shares, [given("inbox", "Downloads")])).toEqual({ library: "", inbox: "Downloads", scans: "" });
  });

  it("sends only the requests given a share", () => {
    expect(choicesToSend({ library: "Books", inbox: "" })).toEqual({ library: "Books" });
  });

  it("tells a change from what the app has", () => {
    const has = [given("library", "Books")];
    expect(sharesChanged({ library: "Books", inbox: "" }, has)).toBe(false);
    expect(sharesChanged({ library: "", inbox: "" }, has)).toBe(true);
    expect(sharesChanged({ library: "Books", inbox: "Downloads" }, has)).toBe(true);
  });

  it("says what the app does with a share and where it is", () => {
    expect(accessText(requests[0])).toContain("read-only");
    expect(accessText(requests[1])).toBe("reads and writes");
    expect(shareOption(share("Books", false))).toEqual({ label: "Books (drive not present)", disabled: true });
    expect(givenText(requests[0], [given("library", "Books")])).toBe("Books (/srv/Books) at /library, read-only");
    expect(givenText(requests[1], [])).toBe("none: a folder of its own at /inbox");
  });
});
