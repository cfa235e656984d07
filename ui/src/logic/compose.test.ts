import { describe, expect, it } from "vitest";
import type { ComposeReport } from "../bindings";
import { checkProblems, composeFailure, composeFileProblem, composeProblems, findingLines, MAX_COMPOSE_BYTES, severityText, summaryLines, validAppId } from "./compose";

const report = (over: Partial<ComposeReport> = {}): ComposeReport => ({
  appId: "photos",
  installed: false,
  services: [
    { name: "web", image: "nginx:1.27" },
    { name: "db", image: null },
  ],
  ports: [{ service: "web", target: 80, protocol: "tcp", requested: 8080, published: 8081, note: "port 8080 is used by wiki" }],
  findings: [
    {
      service: "web",
      at: "services.web.privileged",
      kind: "privileged",
      severity: "severe",
      message: "web asks for full access to the host (privileged mode): it can do anything root can do on this server.",
      needsConsent: true,
      consented: false,
    },
    {
      service: "web",
      at: "services.web.cap_add[0]",
      kind: "capability",
      severity: "warning",
      message: "web asks for the SYS_NICE capability, a permission beyond what containers get by default.",
      needsConsent: true,
      consented: true,
    },
    {
      service: "web",
      at: "services.web.cap_add[1]",
      kind: "capability",
      severity: "notice",
      message: "web asks for the CHOWN capability, which every container has anyway.",
      needsConsent: false,
      consented: false,
    },
  ],
  needsConsent: true,
  warnings: [],
  ...over,
});

describe("your own compose file", () => {
  it("says each finding in words, and whether consent is still needed", () => {
    const lines = findingLines(report());
    expect(lines.map((l) => [l.severity, l.consent])).toEqual([
      ["severe", "needed"],
      ["warning", "given"],
      ["notice", "none"],
    ]);
    expect(lines[0].text).toContain("privileged mode");
    expect(new Set(lines.map((l) => l.key)).size).toBe(3);
    expect(severityText("severe")).toBe("Control of the server");
    expect(severityText("warning")).toBe("Needs your consent");
    expect(severityText("notice")).toBe("Good to know");
  });

  it("sums up services and ports, saying when a port moved", () => {
    expect(summaryLines(report())).toEqual([
      "2 services: web (nginx:1.27), db (no image: Berth cannot build it).",
      "web opens on port 8081 instead of 8080 (its port 80/tcp).",
    ]);
    expect(summaryLines(report({ services: [{ name: "web", image: "x" }], ports: [] }))).toEqual(["1 service: web (x)."]);
  });

  it("asks for a file, a check, a free valid id and consent, in that order", () => {
    const form = { mode: "install" as const, text: "services: {}", appId: "", report: null, consent: false };
    expect(composeProblems({ ...form, text: "  \n" })).toEqual(["Paste a compose file, or choose one."]);
    expect(composeProblems(form)).toEqual(["Check the file first: Berth shows what it asks of your server."]);
    expect(composeProblems({ ...form, appId: "../x" })[0]).toMatch(/^The app id may use lowercase letters/);
    expect(composeProblems({ ...form, report: report() })).toEqual(["Tick the box to allow what this app asks of your server."]);
    expect(composeProblems({ ...form, report: report(), consent: true })).toEqual([]);
    expect(composeProblems({ ...form, report: report({ needsConsent: false }) })).toEqual([]);
    expect(composeProblems({ ...form, report: report({ installed: true, needsConsent: false }) })).toEqual([
      "An app named photos is installed already; choose another app id.",
    ]);
    // Updating the installed app is what an edit does.
    expect(composeProblems({ ...form, mode: "update", report: report({ installed: true, needsConsent: false }) })).toEqual([]);
    expect(composeProblems({ ...form, text: "x".repeat(MAX_COMPOSE_BYTES + 1), report: report({ needsConsent: false }) })).toEqual([
      "The compose file is larger than 4 MB; Berth refuses it.",
    ]);
  });

  it("checks only what it can before the server reads the file", () => {
    const form = { mode: "install" as const, text: "services: {}", appId: "" };
    expect(checkProblems(form)).toEqual([]);
    expect(checkProblems({ ...form, appId: "Photos" })).toHaveLength(1);
    // An update's id is the installed app's: not asked for.
    expect(checkProblems({ ...form, mode: "update", appId: "Photos" })).toEqual([]);
    expect(checkProblems({ ...form, text: "" })).toEqual(["Paste a compose file, or choose one."]);
  });

  it("checks app ids as Berth does", () => {
    for (const good of ["photos", "my-app_2", "9lives", "a".repeat(63)]) expect(validAppId(good)).toBe(true);
    for (const bad of ["", "../x", "Photos", "-x", "a b", "a".repeat(64)]) expect(validAppId(bad)).toBe(false);
  });

  it("refuses a file too large to be a compose file", () => {
    expect(composeFileProblem({ name: "compose.yml", size: 900 })).toBeNull();
    expect(composeFileProblem({ name: "disk.img", size: MAX_COMPOSE_BYTES + 1 })).toBe(
      "disk.img is larger than 4 MB; it is not a compose file Berth reads.",
    );
  });

  it("lists what a refusal needs consent for, one finding a line", () => {
    expect(
      composeFailure({
        message: "x needs your consent for what it asks of this server: web asks … (services.web.privileged)",
        code: "consentRequired",
        details: { app: "x", findings: ["web asks … (services.web.privileged)"] },
      }),
    ).toEqual(["This needs your consent for what it asks of your server:", "web asks … (services.web.privileged)"]);
    expect(composeFailure({ message: "compose.yml: invalid YAML: …", code: "invalid", details: {} })).toEqual(["compose.yml: invalid YAML: …"]);
  });
});
