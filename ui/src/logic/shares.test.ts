import { describe, expect, it } from "vitest";
import type { ShareAccess, ShareInfo, SmbStatus } from "../bindings";
import {
  accessProblem,
  fixOwnershipChange,
  ownershipFixed,
  shareAdded,
  shareProblem,
  shareState,
  smbAddresses,
  smbPasswordProblem,
  smbProblem,
  smbServer,
  smbState,
} from "./shares";

const fine: ShareAccess = { uid: 1000, gid: 1000, readable: true, writable: true, reachable: true, owner: 1000, group: 1000, mode: 0o755, problems: 0, sampled: 12, complete: true };
const share = (extra: Partial<ShareInfo>): ShareInfo => ({ name: "Movies", path: "/srv/movies", present: true, madeByBerth: false, access: fine, smb: "none", ...extra });
const smb = (extra: Partial<SmbStatus>): SmbStatus => ({ enabled: true, running: true, port: 445, login: "anna", unixUser: "berth-share", passwordSet: true, server: "nas.local", problem: null, ...extra });

describe("shares", () => {
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

describe("what the apps can do with a share's files", () => {
  it("warns about a folder they cannot open, cannot write, or files they cannot use", () => {
    expect(accessProblem(share({}))).toBeNull();
    expect(accessProblem(share({ present: false, access: null }))).toBeNull();
    expect(accessProblem(share({ access: { ...fine, readable: false, writable: false, owner: 0, group: 0, mode: 0o700 } }))).toBe(
      "Apps (user 1000:1000) cannot open this folder. The folder belongs to 0:0 (mode 700).",
    );
    expect(accessProblem(share({ access: { ...fine, writable: false, owner: 0, group: 0 } }))).toMatch(/can read this folder but not add files/);
    expect(accessProblem(share({ access: { ...fine, problems: 3 } }))).toBe("Apps (user 1000:1000) cannot read or change 3 of 12 files and folders in it.");
    expect(accessProblem(share({ access: { ...fine, problems: 3, sampled: 4000, complete: false } }))).toMatch(/3 of the first 4000/);
  });
  it("says exactly what fixing the ownership changes, and what it did", () => {
    const text = fixOwnershipChange(share({ access: { ...fine, uid: 1001, gid: 1002 } }));
    expect(text).toContain("/srv/movies");
    expect(text).toContain("user 1001 and group 1002");
    expect(text).toMatch(/never followed/);
    expect(text).toMatch(/Permissions .* are not changed/);
    expect(ownershipFixed({ share: share({}), seen: 10, changed: 4, otherFilesystems: 0 })).toBe("Movies: 4 of 10 files and folders now belong to the apps.");
    expect(ownershipFixed({ share: share({}), seen: 10, changed: 4, otherFilesystems: 1 })).toMatch(/1 folders on other disks were left alone/);
  });
});

describe("SMB", () => {
  it("gives the addresses to type, with the port only when it is not 445", () => {
    expect(smbAddresses("nas.local", 445, "Movies")).toEqual({ windows: "\\\\nas.local\\Movies", url: "smb://nas.local/Movies" });
    expect(smbAddresses("192.168.1.5", 1445, "TV").url).toBe("smb://192.168.1.5:1445/TV");
  });
  it("names the server as the page reached it, unless that was this machine only", () => {
    expect(smbServer(smb({}), "192.168.1.5")).toBe("192.168.1.5");
    expect(smbServer(smb({}), "localhost")).toBe("nas.local");
    expect(smbServer(smb({}), "127.0.0.1")).toBe("nas.local");
    expect(smbServer(smb({}), "tauri.localhost")).toBe("nas.local");
  });
  it("says its state", () => {
    expect(smbState(smb({ enabled: false }))).toBe("Off");
    expect(smbState(smb({}))).toBe("On");
    expect(smbState(smb({ port: 1445 }))).toBe("On (port 1445)");
    expect(smbState(smb({ running: false, problem: "smbd is not installed" }))).toBe("On, but not running: smbd is not installed");
  });
  it("warns when Samba, entering as the apps' user, cannot reach an offered share", () => {
    expect(smbProblem(share({ smb: "read", access: { ...fine, reachable: false } }))).toMatch(/closed to user 1000/);
    expect(smbProblem(share({ smb: "none", access: { ...fine, reachable: false } }))).toBeNull();
    expect(smbProblem(share({ smb: "write" }))).toBeNull();
  });
  it("checks the password before it is sent", () => {
    expect(smbPasswordProblem("short", "short", false)).toMatch(/at least 8/);
    expect(smbPasswordProblem("long enough", "long enougH", false)).toMatch(/differ/);
    expect(smbPasswordProblem("long enough", "long enough", false)).toBeNull();
    expect(smbPasswordProblem("", "", true)).toBeNull();
    expect(smbPasswordProblem("", "", false)).toMatch(/at least 8/);
  });
});
