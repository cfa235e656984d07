import { describe, expect, it } from "vitest";
import type { AcmeStatus } from "../bindings";
import { acmeDate, acmeIssuer, acmeLines } from "./acme";

const now = Date.parse("2027-01-01T12:00:00Z");
const status = (s: Partial<AcmeStatus>): AcmeStatus => ({
  names: ["*.home.example.com", "home.example.com"],
  directory: "https://acme-v02.api.letsencrypt.org/directory",
  issued: false,
  expires: null,
  renews: null,
  working: false,
  lastError: null,
  lastAttempt: null,
  nextAttempt: null,
  ...s,
});

describe("ACME status on the HTTPS card", () => {
  it("names the issuer in words", () => {
    expect(acmeIssuer("https://acme-v02.api.letsencrypt.org/directory")).toBe("Let's Encrypt");
    expect(acmeIssuer("https://acme-staging-v02.api.letsencrypt.org/directory")).toMatch(/staging/);
    expect(acmeIssuer("https://ca.example.net:14000/dir")).toBe("ca.example.net:14000");
    expect(acmeIssuer("not a url")).toBe("not a url");
    expect(acmeDate("2027-03-03T09:35:12Z")).toBe("3 Mar 2027");
  });

  it("says an issued certificate's names, expiry and renewal", () => {
    const { lines, error, bad } = acmeLines(
      status({ issued: true, expires: "2027-03-31T12:00:00Z", renews: "2027-03-01T12:00:00Z" }),
      now,
    );
    expect(lines[0]).toBe("A certificate for *.home.example.com and home.example.com from Let's Encrypt.");
    expect(lines[1]).toBe("Issued and in use. It is valid until 31 Mar 2027 (in 89 days); Berth renews it from 1 Mar 2027 by itself.");
    expect(error).toBeNull();
    expect(bad).toBe(false);
  });

  it("says when a renewal is due now", () => {
    const { lines } = acmeLines(status({ issued: true, expires: "2027-01-20T12:00:00Z", renews: "2026-12-21T12:00:00Z" }), now);
    expect(lines[1]).toMatch(/in 19 days\); Berth is renewing it now\.$/);
  });

  it("says what failed, when, and when it is tried again", () => {
    const { lines, error, bad } = acmeLines(
      status({
        lastError: "the DNS hook `/usr/local/bin/dns-set` exited with 1: no such zone",
        lastAttempt: "2027-01-01T11:00:00Z",
        nextAttempt: "2027-01-01T14:00:00Z",
      }),
      now,
    );
    expect(lines[1]).toBe("Not issued yet. Meanwhile the apps use this server's own certificates.");
    expect(error).toBe(
      "The last attempt failed (1 Jan 2027, 1 hour ago): the DNS hook `/usr/local/bin/dns-set` exited with 1: no such zone. Berth tries again in 2 hours by itself.",
    );
    expect(bad).toBe(true);
  });

  it("says it is asking while an attempt runs", () => {
    const { lines, bad } = acmeLines(status({ working: true }), now);
    expect(lines[1]).toMatch(/Berth is asking for it now/);
    expect(bad).toBe(true);
  });
});
