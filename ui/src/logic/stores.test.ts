import { describe, expect, it } from "vitest";
import type { StoreInfo } from "../bindings";
import { refreshSentences, remoteProblem, STORE_UPLOAD_LIMIT, storeApps, storeKind, storeNameFrom, uploadProblem } from "./stores";

describe("stores", () => {
  it("makes a store name from a file or an address", () => {
    expect(storeNameFrom("CasaOS-AppStore-main.zip")).toBe("casaos-appstore-main");
    expect(storeNameFrom("umbrel-apps_master.tar.gz")).toBe("umbrel-apps-master");
    expect(storeNameFrom("https://apps.example.org/stores/family/")).toBe("family");
    expect(storeNameFrom("C:\\Downloads\\My Store.TGZ")).toBe("my-store");
    expect(storeNameFrom("---.zip")).toBe("store");
    expect(storeNameFrom(`${"a".repeat(70)}.zip`)).toHaveLength(63);
  });

  it("refuses what the server would refuse, before uploading it", () => {
    expect(uploadProblem({ name: "store.zip", size: 1000 })).toBeNull();
    expect(uploadProblem({ name: "store.TAR.GZ", size: 1000 })).toBeNull();
    expect(uploadProblem({ name: "notes.txt", size: 10 })).toBe("notes.txt is not a .tar.gz or .zip file; download the store as one of those.");
    expect(uploadProblem({ name: "empty.zip", size: 0 })).toBe("empty.zip is empty.");
    expect(uploadProblem({ name: "big.zip", size: 100 * 1024 * 1024 })).toBe("big.zip is 100 MB, more than the 64 MB a store may be.");
    expect(uploadProblem({ name: "edge.zip", size: STORE_UPLOAD_LIMIT })).toBeNull();
    expect(uploadProblem({ name: "over.zip", size: STORE_UPLOAD_LIMIT + 1 })).toMatch(/more than the 64 MB/);
  });

  it("asks for an https address and a key for a remote store", () => {
    expect(remoteProblem("https://apps.example.org/store", "RWQ...")).toBeNull();
    expect(remoteProblem("apps.example.org", "RWQ...")).toMatch(/must start with https:\/\//);
    expect(remoteProblem("https://apps.example.org", "  ")).toMatch(/public key/);
  });

  it("says what a store is and holds", () => {
    const s = { name: "casa", kind: "casaos", location: "/x", apps: 12, rejected: [["a", "why"]], error: null, sequence: null, refreshedAt: null } as StoreInfo;
    expect(storeKind(s.kind)).toBe("CasaOS store");
    expect(storeKind("embedded")).toBe("Built in");
    expect(storeApps(s)).toBe("12 apps; 1 left out");
    expect(storeApps({ ...s, apps: 1, rejected: [] })).toBe("1 app");
  });

  it("says what a refresh did, store by store", () => {
    expect(
      refreshSentences([
        { name: "test", outcome: "updated", apps: 3, error: null },
        { name: "family", outcome: "unchanged", apps: 1, error: null },
        { name: "far", outcome: "failed", apps: 0, error: "https://far.example is out of reach." },
      ]),
    ).toEqual(["test is refreshed: 3 apps.", "family is unchanged: 1 app.", "far could not be refreshed: https://far.example is out of reach."]);
    expect(refreshSentences([])).toEqual(["Only the built-in store is there; it needs no refresh."]);
  });
});
